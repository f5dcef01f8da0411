// meshbed-kube is one multi-call binary holding the components of a one-node Kubernetes, built
// from the pinned Kubernetes and etcd modules: the first argument (or the name it is called by,
// e.g. a kubectl symlink) picks the component, and the rest are that component's own flags.
//
//	meshbed-kube etcd | kube-apiserver | kube-controller-manager | kube-scheduler | kubelet |
//	             kube-proxy | kubectl | kubeadm | version
//
// Each branch does what the component's own main() does at the pinned tag.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	_ "time/tzdata" // CronJob time zones, as kube-apiserver and kube-controller-manager import it

	"github.com/spf13/cobra"
	etcdversion "go.etcd.io/etcd/api/v3/version"
	"go.etcd.io/etcd/server/v3/etcdmain"
	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // the version metric
	"k8s.io/component-base/version"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	proxy "k8s.io/kubernetes/cmd/kube-proxy/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kubeadm "k8s.io/kubernetes/cmd/kubeadm/app"
	kubeadmerrors "k8s.io/kubernetes/cmd/kubeadm/app/util/errors"
	kubelet "k8s.io/kubernetes/cmd/kubelet/app"

	_ "k8s.io/client-go/plugin/pkg/client/auth" // kubectl's client auth plugins
)

var components = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet",
	"kube-proxy", "kubectl", "kubeadm", "version"}

func main() {
	name, args := component(os.Args)
	switch name {
	case "etcd":
		// etcdmain reads its flags from args[1:], as from its own os.Args
		etcdmain.Main(append([]string{"etcd"}, args...))
	case "kube-apiserver":
		run(apiserver.NewAPIServerCommand(), args)
	case "kube-controller-manager":
		run(controllermanager.NewControllerManagerCommand(), args)
	case "kube-scheduler":
		run(scheduler.NewSchedulerCommand(), args)
	case "kubelet":
		run(kubelet.NewKubeletCommand(context.Background()), args)
	case "kube-proxy":
		run(proxy.NewProxyCommand(), args)
	case "kubectl":
		os.Args = append([]string{"kubectl"}, args...)
		logs.GlogSetter(kubectlcmd.GetLogVerbosity(os.Args)) // nolint:errcheck
		command := kubectlcmd.NewDefaultKubectlCommand()
		if err := cli.RunNoErrOutput(command); err != nil {
			kubectlutil.CheckErr(err)
		}
	case "kubeadm":
		os.Args = append([]string{"kubeadm"}, args...)
		kubeadmerrors.HandleError(kubeadm.Run())
	case "version":
		v := version.Get()
		fmt.Printf("meshbed-kube %s (%s, %s, etcd %s)\n", v.GitVersion, v.GoVersion, v.Platform, etcdversion.Version)
	default:
		fmt.Fprintf(os.Stderr, "meshbed-kube: unknown component %q (expected one of: %s)\n", name,
			strings.Join(components, ", "))
		os.Exit(2)
	}
}

// component: the name the binary was called by when it is a component's (a symlink), else the
// first argument.
func component(argv []string) (string, []string) {
	base := filepath.Base(argv[0])
	for _, c := range components {
		if base == c {
			return c, argv[1:]
		}
	}
	if len(argv) < 2 {
		return "", nil
	}
	return argv[1], argv[2:]
}

// run: a component's cobra command with its own arguments, as its main() runs it.
func run(command *cobra.Command, args []string) {
	os.Args = append([]string{command.Name()}, args...)
	command.SetArgs(args)
	os.Exit(cli.Run(command))
}
