# meshbed: the entry points. `make help` lists them.
MVN ?= mvn -B -q
.DEFAULT_GOAL := help

.PHONY: help build test demo local local-down local-status loadtest bench drain-bench images base-image up down status weights clean

help: ## this list
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## the runnable jars: gateway/target/gateway.jar, sample-apps/target/sample-app.jar
	$(MVN) -DskipTests package

test: ## every test tier that can run here (unit, integration; images where Docker answers; the real cluster on Linux as root with Go; k3s where its image is present, or pulled with K3S_PULL=missing)
	@if scripts/lib.sh docker_answers 20; then MVN="$(MVN)" scripts/images.sh; \
	else echo "test: no Docker engine answers: images not built, the image suite skips"; fi
	@if [ "$$(uname -s)" = Linux ] && [ "$$(id -u)" = 0 ] && command -v go >/dev/null; then \
	  scripts/kube-build.sh >/dev/null || exit 1; \
	else echo "test: the real-cluster tier skips: it needs Linux, root and Go 1.24+ (to build Kubernetes from its modules)"; fi
	$(MVN) verify

demo: ## local mode: v1, v2 and the gateway on 127.0.0.1, EdgeSplit through it (Gatling), the verdict and the report (KEEP=1)
	scripts/demo.sh

local: ## the local testbed in the background: v1, v2 and the gateway on 127.0.0.1, config in target/local/config
	scripts/local.sh up

local-down: ## stop the local testbed
	scripts/local.sh down

local-status: ## is the local testbed running, and where
	scripts/local.sh status

loadtest: ## Gatling against the running testbed: SCENARIO=edge|direct|fallback|shift [RATE=200] [DURATION=20] [WEIGHTS=v1=80,v2=20] ...
	scripts/loadtest.sh

images: ## container images meshbed/gateway and meshbed/sample-app (Jib): */target/jib-image.tar, loaded into Docker where it answers (BASE_IMAGE=..., PLATFORM=linux/arm64)
	MVN="$(MVN)" scripts/images.sh

base-image: ## a local Java 17 base image (meshbed/base-jre:17) for machines without registry access
	scripts/base-image.sh

up: ## the cluster testbed: k3s in Docker (LB=off: no ServiceLB; K3S_IMAGE=rancher/k3s:<tag>; K3S_PULL=never: no pull), CLUSTER=kube (built from modules, on this host; LB=on: MetalLB), or CLUSTER=kubeconfig [IMAGE_REGISTRY=...]
	scripts/testbed.sh up

down: ## remove what `make up` started (ALL=1: every testbed)
	scripts/testbed.sh down

status: ## what the testbed runs, and where its edge is
	scripts/testbed.sh status

weights: ## new routing for the running testbed: W=90:10 (or W=50-50, W=100-0, W=header)
	scripts/testbed.sh weights

bench: build ## the gateway against nginx and HAProxy on an 80:20 split (../shared/bench/edge-bench.sh)
	scripts/bench.sh

drain-bench: build ## SIGTERM to the gateway under wrk load: every request answered or refused before it was sent
	scripts/drain-bench.sh

clean: ## remove build output
	$(MVN) clean
	rm -rf target
