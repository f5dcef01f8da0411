package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.meshbed.gateway.config.ModelIntrospector.BeanModel;
import dev.meshbed.gateway.config.ModelIntrospector.OneOf;
import dev.meshbed.gateway.config.ModelIntrospector.Property;
import dev.meshbed.gateway.config.ModelIntrospector.Variant;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds what fabric8's lenient model accepted without a word: unknown fields (which land in some
 * object's {@code additionalProperties}, or are dropped outright inside oneofs), enum values it
 * did not know (which become null), and oneofs given more than one variant (of which it keeps
 * one). It walks the plain YAML value and the typed object side by side, using Jackson's view of
 * the model classes, so it needs no per-field list and reports JSON names.
 *
 * <p>Object metadata belongs to Kubernetes and a resource's {@code status} to the controller;
 * neither is checked. Thread-safe.
 */
public final class StrictModelChecker {

    private final ModelIntrospector model;

    public StrictModelChecker() {
        this(new ModelIntrospector(new ObjectMapper()));
    }

    StrictModelChecker(ModelIntrospector model) {
        this.model = requireNonNull(model, "model");
    }

    /**
     * Checks a resource against the plain value it was converted from.
     *
     * @param raw the document as plain Maps, Lists and scalars (e.g. from SnakeYAML or a JSON parser)
     * @param typed the fabric8 object Jackson made of {@code raw}, e.g. a v1 {@code VirtualService}
     * @return the problems, paths from the resource root ({@code spec.http[0].route[0].wieght})
     */
    public List<Problem> check(Object raw, Object typed) {
        requireNonNull(typed, "typed");
        List<Problem> problems = new ArrayList<>();
        walk("", raw, typed, model.typeOf(typed.getClass()), problems);
        return List.copyOf(problems);
    }

    private void walk(String path, Object raw, Object typed, JavaType type, List<Problem> out) {
        Class<?> rawClass = type.getRawClass();
        if (raw == null || ObjectMeta.class.isAssignableFrom(rawClass)) {
            return;
        }
        if (rawClass.isEnum()) {
            if (typed == null) {
                out.add(new Problem(path, badEnumValue(raw, model.enumNames(rawClass))));
            }
        } else if (type.isCollectionLikeType() || type.isArrayType()) {
            if (raw instanceof List<?> rawList && typed instanceof List<?> typedList) {
                for (int i = 0; i < Math.min(rawList.size(), typedList.size()); i++) {
                    walk(FieldPath.index(path, i), rawList.get(i), typedList.get(i), type.getContentType(), out);
                }
            }
        } else if (type.isMapLikeType()) {
            if (raw instanceof Map<?, ?> rawMap && typed instanceof Map<?, ?> typedMap) {
                for (Map.Entry<?, ?> entry : rawMap.entrySet()) {
                    String key = String.valueOf(entry.getKey());
                    walk(FieldPath.field(path, key), entry.getValue(), typedMap.get(key), type.getContentType(), out);
                }
            }
        } else if (raw instanceof Map<?, ?> rawMap) {
            // The object's own class: a declared type may be an interface the model fills in.
            Class<?> beanClass = typed != null ? typed.getClass() : rawClass;
            if (model.isBean(model.typeOf(beanClass))) {
                checkBean(path, rawMap, typed, beanClass, model.describe(beanClass), out);
            }
        }
    }

    private void checkBean(String path, Map<?, ?> raw, Object typed, Class<?> beanClass, BeanModel bean,
            List<Problem> out) {
        boolean resource = typed instanceof HasMetadata;
        Map<OneOf, Map<String, Object>> oneOfFields = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : raw.entrySet()) {
            String key = String.valueOf(entry.getKey());
            String fieldPath = FieldPath.field(path, key);
            if (resource && key.equals("status")) {
                continue;
            }
            Property property = bean.properties().get(key);
            if (property != null) {
                walk(fieldPath, entry.getValue(), property.valueIn(typed), property.type(), out);
                continue;
            }
            Optional<OneOf> oneOf = bean.oneOfWithField(key);
            if (oneOf.isPresent()) {
                oneOfFields.computeIfAbsent(oneOf.get(), o -> new LinkedHashMap<>()).put(key, entry.getValue());
            } else if (ModelGaps.field(beanClass, key).isPresent()) {
                ModelGaps.check(fieldPath, entry.getValue(), ModelGaps.field(beanClass, key).get(), out);
                ModelGaps.keep(typed, key, entry.getValue());
            } else {
                List<String> known = new ArrayList<>(bean.fieldNames());
                known.addAll(ModelGaps.names(beanClass));
                out.add(new Problem(fieldPath, unknownField(key, known)));
            }
        }
        for (Map.Entry<OneOf, Map<String, Object>> entry : oneOfFields.entrySet()) {
            checkOneOf(path, entry.getKey(), entry.getValue(), typed, out);
        }
    }

    /**
     * A oneof's fields sit at the parent's level in YAML. Jackson picks one variant and keeps or
     * drops the others' fields; more than one variant is an error Istio would report.
     */
    private void checkOneOf(String path, OneOf oneOf, Map<String, Object> fields, Object typed, List<Problem> out) {
        Object chosen = oneOf.property().valueIn(typed);
        Variant variant = chosen == null ? null : oneOf.variants().stream()
                .filter(v -> v.type() == chosen.getClass())
                .findFirst()
                .orElse(null);
        if (variant == null || !variant.properties().keySet().containsAll(fields.keySet())) {
            out.add(new Problem(path, "only one of " + String.join(", ", oneOf.fieldNames())
                    + " may be set (found: " + String.join(", ", fields.keySet()) + ")"));
            return;
        }
        for (Map.Entry<String, Object> field : fields.entrySet()) {
            Property property = variant.properties().get(field.getKey());
            walk(FieldPath.field(path, field.getKey()), field.getValue(), property.valueIn(chosen), property.type(), out);
        }
    }

    private static String unknownField(String key, List<String> known) {
        return Suggestions.closest(key, known)
                .map(s -> "unknown field (did you mean \"" + s + "\"?)")
                .orElse("unknown field");
    }

    private static String badEnumValue(Object raw, List<String> names) {
        String expected = String.join(", ", names);
        if (raw instanceof String) {
            return RawValues.show(raw) + " is not one of " + expected;
        }
        return "expected one of " + expected + ", got " + RawValues.show(raw);
    }
}
