package dev.meshbed.gateway.config;

import io.fabric8.istio.api.api.networking.v1alpha3.Headers;
import io.fabric8.istio.api.api.networking.v1alpha3.HeadersHeaderOperations;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Istio's rules for header names and values in VirtualServices: match keys, header operations
 * ({@code headers.request|response.set|add|remove}) and CORS header lists. A header value is
 * an Envoy format string, so a lone {@code %} is an error ({@code %%} is a literal percent sign,
 * {@code %VAR%} and {@code %VAR(...)%} are variables).
 */
final class HeaderRules {

    /** RFC 7230 token characters. */
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+\\-.^_`|~A-Za-z0-9]+");
    /** Control characters other than horizontal tab may not appear in a value Envoy sends. */
    private static final Pattern CONTROL = Pattern.compile("[\\x00-\\x08\\x0A-\\x1F\\x7F]");
    private static final List<String> PSEUDO_HEADERS = List.of(":method", ":scheme", ":authority", ":path", ":status");
    private static final String JWT_CLAIM_PREFIX = "@request.auth.claims.";

    private HeaderRules() {
    }

    /** A header a route matches on: a token, a pseudo-header, or a JWT claim ({@code @request.auth.claims.sub}). */
    static void matchName(String path, String name, Problems problems) {
        if (name.isEmpty()) {
            problems.add(path, "empty header name (expected: a header name)");
        } else if (!name.startsWith(JWT_CLAIM_PREFIX) && !PSEUDO_HEADERS.contains(name)
                && !TOKEN.matcher(name).matches()) {
            problems.add(path, "\"" + name + "\" is not a valid header name");
        }
    }

    /** A CORS allow/expose header: a token or {@code *}. */
    static void corsName(String path, String name, Problems problems) {
        if (name.isEmpty()) {
            problems.add(path, "empty header name (expected: a header name or *)");
        } else if (!name.equals("*") && !TOKEN.matcher(name).matches()) {
            problems.add(path, "\"" + name + "\" is not a valid header name");
        }
    }

    /** {@code headers} of a route or of a weighted destination. */
    static void operations(String path, Headers headers, Problems problems) {
        if (headers == null) {
            return;
        }
        HeadersHeaderOperations request = headers.getRequest();
        if (request != null) {
            // A request may set Host (or :authority): that is how Istio rewrites the authority.
            setOrAdd(path + ".request.set", request.getSet(), true, problems);
            setOrAdd(path + ".request.add", request.getAdd(), true, problems);
            remove(path + ".request.remove", request.getRemove(), problems);
        }
        HeadersHeaderOperations response = headers.getResponse();
        if (response != null) {
            setOrAdd(path + ".response.set", response.getSet(), false, problems);
            setOrAdd(path + ".response.add", response.getAdd(), false, problems);
            remove(path + ".response.remove", response.getRemove(), problems);
        }
    }

    /** The value a request's Host gets from {@code headers.request.set|add}, or null. */
    static String authorityOf(Headers headers) {
        if (headers == null || headers.getRequest() == null) {
            return null;
        }
        for (Map<String, String> values : java.util.Arrays.asList(headers.getRequest().getSet(),
                headers.getRequest().getAdd())) {
            if (values != null) {
                for (Map.Entry<String, String> entry : values.entrySet()) {
                    if (isAuthority(entry.getKey())) {
                        return entry.getValue();
                    }
                }
            }
        }
        return null;
    }

    static boolean isAuthority(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.equals("host") || lower.equals(":authority");
    }

    private static void setOrAdd(String path, Map<String, String> values, boolean request, Problems problems) {
        if (values == null) {
            return;
        }
        values.forEach((name, value) -> {
            String headerPath = FieldPath.field(path, name);
            if (request ? operationNameForRequest(headerPath, name, problems) : operationName(headerPath, name, problems)) {
                value(headerPath, value == null ? "" : value, problems);
            }
        });
    }

    private static void remove(String path, List<String> names, Problems problems) {
        problems.forEach(path, names, (itemPath, name) -> operationName(itemPath, name, problems));
    }

    private static boolean operationNameForRequest(String path, String name, Problems problems) {
        if (name.isEmpty()) {
            problems.add(path, "empty header name (expected: a header name)");
            return false;
        }
        if (name.startsWith(":") && !isAuthority(name)) {
            problems.add(path, "\"" + name + "\" may not be set: pseudo-headers (\":\" prefix) are Envoy's");
            return false;
        }
        return true;
    }

    private static boolean operationName(String path, String name, Problems problems) {
        if (name.isEmpty()) {
            problems.add(path, "empty header name (expected: a header name)");
            return false;
        }
        if (name.equalsIgnoreCase("host")) {
            problems.add(path, "\"" + name + "\" may not be changed here (expected: headers.request.set or rewrite.authority)");
            return false;
        }
        if (name.startsWith(":")) {
            problems.add(path, "\"" + name + "\" may not be changed: pseudo-headers (\":\" prefix) are Envoy's");
            return false;
        }
        return true;
    }

    /** A header value: no control characters, and a well-formed Envoy format string. */
    static void value(String path, String value, Problems problems) {
        if (CONTROL.matcher(value).find()) {
            problems.add(path, RawValues.show(value) + " contains a control character");
            return;
        }
        String error = formatError(value);
        if (error != null) {
            problems.add(path, RawValues.show(value) + ": " + error);
        }
    }

    private enum State { LITERAL, NAME, ARRAY, STRING_START, STRING, DELIMITER, ARGS_END, VARIABLE_END }

    /**
     * Envoy's custom header format (as Istio checks it): outside a variable, {@code %%} is a
     * literal and a single {@code %} opens {@code %NAME%} or {@code %NAME(args)%}, where args are
     * a bare string or a JSON-style list of strings. Returns what is wrong, or null.
     */
    static String formatError(String value) {
        State state = State.LITERAL;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean hasNext = i + 1 < value.length();
            switch (state) {
                case LITERAL -> {
                    if (c == '%') {
                        if (!hasNext) {
                            return "unescaped % (expected: %% for a percent sign, or %VARIABLE%)";
                        }
                        if (value.charAt(i + 1) == '%') {
                            i++;
                        } else {
                            state = State.NAME;
                        }
                    }
                }
                case NAME -> {
                    if (c == '%') {
                        state = State.LITERAL;
                    } else if (c == '(') {
                        state = State.ARRAY;
                    }
                }
                case ARRAY -> {
                    if (c == '[') {
                        state = State.STRING_START;
                    } else if (c != ' ') {
                        state = State.STRING;
                    }
                }
                case DELIMITER -> {
                    if (c == ',') {
                        state = State.STRING_START;
                    } else if (c == ']') {
                        state = State.ARGS_END;
                    } else if (c != ' ') {
                        return "expected ',' or ']' in a variable's argument list";
                    }
                }
                case STRING_START -> {
                    if (c == '"') {
                        state = State.STRING;
                    } else if (c != ' ') {
                        return "expected '\"' in a variable's argument list";
                    }
                }
                case STRING -> {
                    if (c == '\\') {
                        if (!hasNext) {
                            return "unterminated backslash in a variable's argument";
                        }
                        i++;
                    } else if (c == ')') {
                        state = State.VARIABLE_END;
                    } else if (c == '"') {
                        state = State.DELIMITER;
                    }
                }
                case ARGS_END -> {
                    if (c == ')') {
                        state = State.VARIABLE_END;
                    } else if (c != ' ') {
                        return "expected ')' after a variable's argument list";
                    }
                }
                case VARIABLE_END -> {
                    if (c == '%') {
                        state = State.LITERAL;
                    } else if (c != ' ') {
                        return "expected '%' to close a variable";
                    }
                }
                default -> throw new IllegalStateException(state.name());
            }
        }
        return state == State.LITERAL ? null
                : "unterminated variable (expected: %VARIABLE%, or %% for a percent sign)";
    }
}
