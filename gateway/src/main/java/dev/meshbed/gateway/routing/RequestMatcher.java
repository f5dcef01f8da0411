package dev.meshbed.gateway.routing;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.function.Function;

/**
 * One compiled HTTPMatchRequest: every condition in it must hold (Istio ANDs the fields of one
 * match block; the blocks of a route are ORed by {@link Route}).
 */
public final class RequestMatcher {

    /** One field of a match block, e.g. {@code uri prefix: /api} or {@code header end-user exact: jason}. */
    public record Condition(String field, StringMatcher matcher, boolean negated,
            Function<RequestView, String> extractor) {

        public Condition {
            requireNonNull(field, "field");
            requireNonNull(matcher, "matcher");
            requireNonNull(extractor, "extractor");
        }

        boolean test(RequestView request) {
            return matcher.matches(extractor.apply(request)) != negated;
        }

        public String describe() {
            return (negated ? "not " : "") + field + " " + matcher.describe();
        }

        static Condition uri(StringMatcher m) {
            return new Condition("uri", m, false, RequestView::path);
        }

        static Condition authority(StringMatcher m) {
            return new Condition("authority", m, false, RequestView::authority);
        }

        static Condition method(StringMatcher m) {
            return new Condition("method", m, false, RequestView::method);
        }

        static Condition scheme(StringMatcher m) {
            return new Condition("scheme", m, false, RequestView::scheme);
        }

        static Condition header(String name, StringMatcher m) {
            return new Condition("header " + name, m, false, r -> r.header(name));
        }

        /**
         * withoutHeaders: the request must not carry a header that matches. Istio sets Envoy's
         * treat_missing_header_as_empty here, so an absent header is matched as "" (a presence
         * match still sees it as absent).
         */
        static Condition withoutHeader(String name, StringMatcher m) {
            boolean presence = m instanceof StringMatcher.Present;
            return new Condition("header " + name, m, true, r -> {
                String v = r.header(name);
                return v == null && !presence ? "" : v;
            });
        }

        static Condition queryParam(String name, StringMatcher m) {
            return new Condition("query " + name, m, false, r -> r.queryParam(name));
        }
    }

    private final String name;
    private final Condition[] conditions;

    public RequestMatcher(String name, List<Condition> conditions) {
        this.name = name;
        this.conditions = conditions.toArray(new Condition[0]);
    }

    public boolean matches(RequestView request) {
        for (Condition c : conditions) {
            if (!c.test(request)) {
                return false;
            }
        }
        return true;
    }

    /** The match block's {@code name}, or null. */
    public String name() {
        return name;
    }

    public List<Condition> conditions() {
        return List.of(conditions);
    }
}
