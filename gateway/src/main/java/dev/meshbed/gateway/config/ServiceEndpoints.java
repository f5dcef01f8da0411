package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;

/**
 * A Kubernetes Service as routing needs it: its ports, and its endpoints from EndpointSlices with
 * the labels of the Pods behind them (EndpointSlices carry none; DestinationRule subsets select
 * on Pod labels). Only endpoints whose {@code conditions.ready} is true are listed: they are the
 * ones that get new requests.
 *
 * @param namespace the Service's namespace
 * @param name the Service's name; its host is {@code name.namespace.svc.cluster.local}
 * @param ports the Service's ports
 * @param endpoints the ready endpoints
 */
public record ServiceEndpoints(String namespace, String name, List<Port> ports, List<Endpoint> endpoints) {

    /**
     * A Service port: the number clients (and VirtualService destinations) use, and the name that
     * maps it to EndpointSlice ports. {@code targetPort} is the number when the EndpointSlice has
     * no port of that name (0 when unknown).
     */
    public record Port(String name, int number, int targetPort) {
        public Port {
            name = name == null ? "" : name;
        }
    }

    /**
     * @param address the endpoint's IP
     * @param ports EndpointSlice port numbers by port name ("" for an unnamed port)
     * @param labels the Pod's labels (empty when the endpoint has no Pod targetRef)
     * @param source for dumps and logs, e.g. {@code Pod default/app-v1-7d9f}
     */
    public record Endpoint(String address, Map<String, Integer> ports, Map<String, String> labels, String source) {
        public Endpoint {
            requireNonNull(address, "address");
            ports = Map.copyOf(ports);
            labels = Map.copyOf(labels);
            requireNonNull(source, "source");
        }
    }

    public ServiceEndpoints {
        requireNonNull(namespace, "namespace");
        requireNonNull(name, "name");
        ports = List.copyOf(ports);
        endpoints = List.copyOf(endpoints);
    }

    /** {@code name.namespace.svc.cluster.local}. */
    public String host() {
        return name + "." + namespace + ".svc.cluster.local";
    }
}
