package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.AnnotatedMember;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.jsontype.NamedType;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * What Jackson knows about the fabric8 model classes, in the shape the strict checker needs:
 * each class's properties by JSON name, and its {@code @JsonUnwrapped} oneof properties (such as
 * {@code LoadBalancerSettings.lbPolicy}) with the variants whose fields appear at the parent's
 * level in YAML. Asking Jackson rather than reflecting on fields keeps the names exactly the ones
 * the YAML uses. Thread-safe; descriptions are cached per class.
 */
final class ModelIntrospector {

    /** A property as it appears in YAML. */
    record Property(String name, JavaType type, AnnotatedMember getter) {

        /** The property's value in a bean of the declaring class (null when there is no getter). */
        Object valueIn(Object bean) {
            if (bean == null || getter == null) {
                return null;
            }
            return getter.getValue(bean);
        }
    }

    /** One concrete class a oneof may take, with its properties (usually exactly one). */
    record Variant(Class<?> type, Map<String, Property> properties) {
    }

    /** A {@code @JsonUnwrapped} oneof property: its Java-side property and its variants. */
    record OneOf(Property property, List<Variant> variants) {

        /** The YAML field names of all variants, in declaration order, e.g. exact, prefix, regex. */
        List<String> fieldNames() {
            return variants.stream().flatMap(v -> v.properties().keySet().stream()).distinct().toList();
        }

        boolean hasField(String name) {
            return variants.stream().anyMatch(v -> v.properties().containsKey(name));
        }
    }

    /** A model class: its own properties and its oneofs. */
    record BeanModel(Map<String, Property> properties, List<OneOf> oneOfs) {

        Optional<OneOf> oneOfWithField(String name) {
            return oneOfs.stream().filter(o -> o.hasField(name)).findFirst();
        }

        /** Every name that may appear as a key of this class's mapping in YAML. */
        List<String> fieldNames() {
            return Stream.concat(properties.keySet().stream(),
                    oneOfs.stream().flatMap(o -> o.fieldNames().stream())).distinct().toList();
        }

        /** True when {@code name} is the Java-side name of a oneof (it never appears in YAML). */
        boolean isOneOfProperty(String name) {
            return oneOfs.stream().anyMatch(o -> o.property().name().equals(name));
        }
    }

    private final ObjectMapper mapper;
    private final Map<Class<?>, BeanModel> models = new ConcurrentHashMap<>();
    private final Map<Class<?>, List<String>> enumNames = new ConcurrentHashMap<>();

    ModelIntrospector(ObjectMapper mapper) {
        this.mapper = requireNonNull(mapper, "mapper");
    }

    JavaType typeOf(Class<?> type) {
        return mapper.getTypeFactory().constructType(type);
    }

    /**
     * True for the classes the checker descends into: model classes, as opposed to JDK types
     * (String, numbers, collections), enums and open-ended types such as {@code Object}.
     */
    boolean isBean(JavaType type) {
        Class<?> raw = type.getRawClass();
        return !type.isContainerType() && !raw.isEnum() && !raw.isPrimitive() && !raw.isArray()
                && !raw.isInterface() && !Modifier.isAbstract(raw.getModifiers())
                && !raw.getName().startsWith("java.");
    }

    BeanModel describe(Class<?> type) {
        requireNonNull(type, "type");
        return models.computeIfAbsent(type, this::introspect);
    }

    /** The JSON names of an enum's values, in declaration order. */
    List<String> enumNames(Class<?> enumType) {
        return enumNames.computeIfAbsent(enumType, t -> Stream.of(t.getEnumConstants())
                .map(e -> mapper.convertValue(e, String.class))
                .toList());
    }

    private BeanModel introspect(Class<?> type) {
        DeserializationConfig config = mapper.getDeserializationConfig();
        Map<String, Property> properties = new LinkedHashMap<>();
        List<OneOf> oneOfs = new ArrayList<>();
        for (BeanPropertyDefinition definition : properties(type)) {
            Property property = new Property(definition.getName(), definition.getPrimaryType(),
                    definition.getGetter());
            if (isUnwrapped(definition)) {
                oneOfs.add(new OneOf(property, variants(config, definition.getPrimaryType())));
            } else {
                properties.put(property.name(), property);
            }
        }
        return new BeanModel(Collections.unmodifiableMap(properties), List.copyOf(oneOfs));
    }

    private List<BeanPropertyDefinition> properties(Class<?> type) {
        DeserializationConfig config = mapper.getDeserializationConfig();
        BeanDescription description = config.introspect(typeOf(type));
        return description.findProperties().stream()
                .filter(p -> !description.getIgnoredPropertyNames().contains(p.getName()))
                .toList();
    }

    private List<Variant> variants(DeserializationConfig config, JavaType oneOfType) {
        List<Variant> variants = new ArrayList<>();
        for (NamedType named : config.getSubtypeResolver().collectAndResolveSubtypesByClass(config,
                config.introspectClassAnnotations(oneOfType).getClassInfo())) {
            Class<?> variant = named.getType();
            if (variant.isInterface() || Modifier.isAbstract(variant.getModifiers())) {
                continue;
            }
            Map<String, Property> properties = new LinkedHashMap<>();
            for (BeanPropertyDefinition definition : properties(variant)) {
                properties.put(definition.getName(), new Property(definition.getName(),
                        definition.getPrimaryType(), definition.getGetter()));
            }
            variants.add(new Variant(variant, Collections.unmodifiableMap(properties)));
        }
        // The resolver's order is arbitrary; messages list the variants as the model declares them.
        List<Class<?>> declared = declaredSubtypes(oneOfType.getRawClass());
        variants.sort(Comparator.comparingInt(v -> declared.contains(v.type())
                ? declared.indexOf(v.type()) : Integer.MAX_VALUE));
        return List.copyOf(variants);
    }

    private static List<Class<?>> declaredSubtypes(Class<?> type) {
        JsonSubTypes subTypes = type.getAnnotation(JsonSubTypes.class);
        return subTypes == null ? List.of()
                : Stream.of(subTypes.value()).<Class<?>>map(JsonSubTypes.Type::value).toList();
    }

    /** fabric8 marks oneofs with {@code @JsonUnwrapped} on the field and getter. */
    private static boolean isUnwrapped(BeanPropertyDefinition definition) {
        return Stream.of(definition.getField(), definition.getGetter(), definition.getSetter())
                .filter(m -> m != null)
                .map(m -> m.getAnnotation(JsonUnwrapped.class))
                .anyMatch(a -> a != null && a.enabled());
    }
}
