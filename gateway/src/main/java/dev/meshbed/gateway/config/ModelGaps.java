package dev.meshbed.gateway.config;

import io.fabric8.istio.api.api.networking.v1alpha3.ConnectionPoolSettingsHTTPSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.HTTPRedirect;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.LoadBalancerSettingsConsistentHashLBRingHash;
import io.fabric8.istio.api.api.networking.v1alpha3.OutlierDetection;
import io.fabric8.istio.api.api.networking.v1alpha3.ServerTLSSettings;
import io.fabric8.istio.api.api.networking.v1alpha3.TrafficPolicyRetryBudget;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Fields of the current istio/api protos (networking/v1alpha3, read 2026-07) that fabric8's
 * model 7.5.2 lacks. They are valid, so not rejected; Jackson leaves their values in the
 * owning object's {@code getAdditionalProperties()}, where readers find them (e.g.
 * {@code HTTPRedirect.prefixRewrite}). Since the model cannot check them, their shape is
 * checked here: the types, and unknown fields inside them with a did-you-mean.
 */
final class ModelGaps {

    static final String PREFIX_REWRITE = "prefixRewrite";
    static final String HTTP2_KEEP_ALIVE = "http2KeepAlive";
    static final String ZONE_AWARE_LB_SETTING = "zoneAwareLbSetting";

    /** The JSON shape of a field. */
    sealed interface Shape permits Scalar, ListOf, ObjectOf {
    }

    enum Scalar implements Shape {
        STRING("a string"), BOOL("true or false"), UINT("a whole number >= 0"), DURATION("a duration");

        private final String expected;

        Scalar(String expected) {
            this.expected = expected;
        }
    }

    record ListOf(Shape item) implements Shape {
    }

    record ObjectOf(Map<String, Shape> fields) implements Shape {
    }

    private static final Map<Class<?>, Map<String, Shape>> FIELDS = Map.of(
            HTTPRedirect.class, Map.of(PREFIX_REWRITE, Scalar.STRING),
            ServerTLSSettings.class, Map.of("insecureSkipVerify", Scalar.BOOL),
            TrafficPolicyRetryBudget.class, Map.of("budgetInterval", Scalar.DURATION),
            // ringHash is modelled as a class holding itself instead of one with minimumRingSize.
            LoadBalancerSettingsConsistentHashLBRingHash.class, Map.of("minimumRingSize", Scalar.UINT),
            LoadBalancerSettings.class, Map.of(ZONE_AWARE_LB_SETTING, object(
                    "enabled", Scalar.BOOL,
                    "failover", new ListOf(object("from", Scalar.STRING, "to", Scalar.STRING)),
                    "failoverPriority", new ListOf(Scalar.STRING),
                    "minClusterSize", Scalar.UINT)),
            ConnectionPoolSettingsHTTPSettings.class, Map.of(HTTP2_KEEP_ALIVE,
                    object("interval", Scalar.DURATION, "timeout", Scalar.DURATION)),
            OutlierDetection.class, Map.of("outlierDetectionHttpErrorCodes", new ListOf(Scalar.UINT)));

    private ModelGaps() {
    }

    private static ObjectOf object(Object... namesAndShapes) {
        Map<String, Shape> fields = new LinkedHashMap<>();
        for (int i = 0; i < namesAndShapes.length; i += 2) {
            fields.put((String) namesAndShapes[i], (Shape) namesAndShapes[i + 1]);
        }
        return new ObjectOf(fields);
    }

    /** The shape of {@code field} when it is one the model of {@code beanClass} lacks. */
    static Optional<Shape> field(Class<?> beanClass, String field) {
        return Optional.ofNullable(FIELDS.getOrDefault(beanClass, Map.of()).get(field));
    }

    /** The names a class may carry beyond its model properties (for did-you-mean). */
    static List<String> names(Class<?> beanClass) {
        return List.copyOf(FIELDS.getOrDefault(beanClass, Map.of()).keySet());
    }

    /**
     * Puts the value of a gap field into the object's additional properties when Jackson did not:
     * it drops unknown fields of classes with an unwrapped oneof ({@code HTTPRedirect},
     * {@code LoadBalancerSettings}) instead of handing them to the any-setter.
     */
    static void keep(Object typed, String field, Object raw) {
        if (typed == null || raw == null) {
            return;
        }
        try {
            Object properties = typed.getClass().getMethod("getAdditionalProperties").invoke(typed);
            if (properties instanceof Map<?, ?> map && map.containsKey(field)) {
                return;
            }
            typed.getClass().getMethod("setAdditionalProperty", String.class, Object.class).invoke(typed, field, raw);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(typed.getClass().getName() + " has no additional properties", e);
        }
    }

    /** Checks the plain value {@code raw} of a field against its shape. */
    static void check(String path, Object raw, Shape shape, List<Problem> out) {
        if (raw == null) {
            return;
        }
        if (shape instanceof Scalar scalar) {
            if (!fits(raw, scalar)) {
                out.add(new Problem(path, "expected " + scalar.expected + ", got " + RawValues.show(raw)));
            } else if (scalar == Scalar.DURATION) {
                try {
                    Durations.parse((String) raw);
                } catch (IllegalArgumentException e) {
                    out.add(new Problem(path, e.getMessage()));
                }
            }
        } else if (shape instanceof ListOf list) {
            if (!(raw instanceof List<?> items)) {
                out.add(new Problem(path, "expected a list, got " + RawValues.kindOf(raw)));
                return;
            }
            for (int i = 0; i < items.size(); i++) {
                check(FieldPath.index(path, i), items.get(i), list.item(), out);
            }
        } else if (shape instanceof ObjectOf object) {
            if (!(raw instanceof Map<?, ?> map)) {
                out.add(new Problem(path, "expected a mapping, got " + RawValues.kindOf(raw)));
                return;
            }
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                String key = String.valueOf(entry.getKey());
                Shape field = object.fields().get(key);
                if (field == null) {
                    out.add(new Problem(FieldPath.field(path, key), Suggestions.closest(key, List.copyOf(object.fields().keySet()))
                            .map(s -> "unknown field (did you mean \"" + s + "\"?)")
                            .orElse("unknown field")));
                } else {
                    check(FieldPath.field(path, key), entry.getValue(), field, out);
                }
            }
        }
    }

    private static boolean fits(Object raw, Scalar scalar) {
        return switch (scalar) {
            case STRING, DURATION -> raw instanceof String;
            case BOOL -> raw instanceof Boolean;
            // proto3 JSON writes 64-bit integers as strings too
            case UINT -> (raw instanceof Integer || raw instanceof Long || raw instanceof BigInteger)
                    ? new BigInteger(raw.toString()).signum() >= 0
                    : raw instanceof String s && s.matches("[0-9]{1,20}");
        };
    }
}
