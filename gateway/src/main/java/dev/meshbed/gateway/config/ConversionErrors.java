package dev.meshbed.gateway.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.meshbed.gateway.config.ModelIntrospector.Property;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Turns a failed Jackson conversion (a value of the wrong type, e.g. {@code weight: "abc"}) into
 * a {@link Problem} a user can act on: the field path in YAML names, and a message about their
 * value rather than about Java types ({@code "abc" is not a number} instead of
 * {@code Cannot deserialize value of type `java.lang.Integer` ...}).
 */
final class ConversionErrors {

    private final ModelIntrospector model;

    ConversionErrors(ModelIntrospector model) {
        this.model = requireNonNull(model, "model");
    }

    /**
     * @param failure what {@code convertValue} threw (fabric8 wraps Jackson's exception in an
     *     {@link IllegalArgumentException})
     * @param raw the plain value that was being converted, to quote the offending value
     */
    Problem describe(RuntimeException failure, Object raw) {
        requireNonNull(failure, "failure");
        JsonMappingException mapping = mappingException(failure);
        if (mapping == null) {
            return new Problem("", firstLine(String.valueOf(failure.getMessage())));
        }
        String path = "";
        Class<?> lastOwner = null;
        String lastField = null;
        for (JsonMappingException.Reference ref : mapping.getPath()) {
            if (ref.getFieldName() != null) {
                Class<?> owner = ownerClass(ref.getFrom());
                // The Java-side name of a oneof ("LbPolicy", "MatchType") never appears in YAML.
                if (owner != null && isOneOf(owner, ref.getFieldName())) {
                    continue;
                }
                path = FieldPath.field(path, ref.getFieldName());
                lastOwner = owner;
                lastField = ref.getFieldName();
            } else if (ref.getIndex() >= 0) {
                path = FieldPath.index(path, ref.getIndex());
                lastOwner = null;
                lastField = null;
            }
        }
        Class<?> target = targetType(mapping, lastOwner, lastField);
        String message = target == null ? null : message(target, valueAt(raw, path));
        return new Problem(path, message != null ? message : firstLine(mapping.getOriginalMessage()));
    }

    private static JsonMappingException mappingException(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof JsonMappingException jme) {
                return jme;
            }
        }
        return null;
    }

    private static Class<?> ownerClass(Object from) {
        if (from == null) {
            return null;
        }
        return from instanceof Class<?> c ? c : from.getClass();
    }

    private boolean isOneOf(Class<?> owner, String name) {
        return model.isBean(model.typeOf(owner)) && model.describe(owner).isOneOfProperty(name);
    }

    private Class<?> targetType(JsonMappingException mapping, Class<?> owner, String field) {
        if (mapping instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
            return mismatch.getTargetType();
        }
        if (owner != null && field != null && model.isBean(model.typeOf(owner))) {
            Property property = model.describe(owner).properties().get(field);
            return property == null ? null : property.type().getRawClass();
        }
        return null;
    }

    /** A message about the user's value, or null when the value does not explain the failure. */
    private String message(Class<?> target, Object value) {
        if (isIntegral(target) || isFloating(target)) {
            return numberMessage(target, value);
        } else if (target == Boolean.class || target == boolean.class) {
            return RawValues.isScalar(value) ? RawValues.show(value) + " is not a boolean (expected: true or false)"
                    : "expected a boolean, got " + RawValues.kindOf(value);
        } else if (CharSequence.class.isAssignableFrom(target)) {
            return RawValues.isScalar(value) ? null : "expected a string, got " + RawValues.kindOf(value);
        } else if (Collection.class.isAssignableFrom(target) || target.isArray()) {
            return value instanceof List<?> ? null : "expected a list, got " + RawValues.kindOf(value);
        } else if (!target.isEnum()) {
            return value instanceof Map<?, ?> ? null : "expected a mapping, got " + RawValues.kindOf(value);
        }
        return null;
    }

    private static String numberMessage(Class<?> target, Object value) {
        if (!RawValues.isScalar(value)) {
            return "expected a number, got " + RawValues.kindOf(value);
        }
        BigDecimal number = asNumber(value);
        if (number == null) {
            return RawValues.show(value) + " is not a number";
        }
        if (!isIntegral(target)) {
            return null;
        }
        if (number.stripTrailingZeros().scale() > 0) {
            return RawValues.show(value) + " is not an integer";
        }
        BigInteger min = target == Integer.class || target == int.class
                ? BigInteger.valueOf(Integer.MIN_VALUE) : BigInteger.valueOf(Long.MIN_VALUE);
        BigInteger max = target == Integer.class || target == int.class
                ? BigInteger.valueOf(Integer.MAX_VALUE) : BigInteger.valueOf(Long.MAX_VALUE);
        BigInteger whole = number.toBigInteger();
        if (whole.compareTo(min) < 0 || whole.compareTo(max) > 0) {
            return RawValues.show(value) + " is out of range (expected: " + min + ".." + max + ")";
        }
        return null;
    }

    private static BigDecimal asNumber(Object value) {
        if (value instanceof Boolean) {
            return null;
        }
        try {
            return new BigDecimal(String.valueOf(value).trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static boolean isIntegral(Class<?> c) {
        return c == Integer.class || c == int.class || c == Long.class || c == long.class
                || c == Short.class || c == short.class || c == Byte.class || c == byte.class
                || c == BigInteger.class;
    }

    private static boolean isFloating(Class<?> c) {
        return c == Double.class || c == double.class || c == Float.class || c == float.class
                || c == BigDecimal.class;
    }

    /** The plain value at a field path, or null when the path does not lead anywhere. */
    static Object valueAt(Object raw, String path) {
        Object node = raw;
        for (Object segment : FieldPath.parse(path)) {
            if (segment instanceof String key && node instanceof Map<?, ?> map) {
                node = map.entrySet().stream()
                        .filter(e -> String.valueOf(e.getKey()).equals(key))
                        .map(Map.Entry::getValue)
                        .findFirst()
                        .orElse(null);
            } else if (segment instanceof Integer index && node instanceof List<?> list && index < list.size()) {
                node = list.get(index);
            } else {
                return null;
            }
        }
        return node;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "invalid value";
        }
        int newline = message.indexOf('\n');
        String line = newline < 0 ? message : message.substring(0, newline);
        int chain = line.indexOf(" (through reference chain");
        return (chain < 0 ? line : line.substring(0, chain)).trim();
    }
}
