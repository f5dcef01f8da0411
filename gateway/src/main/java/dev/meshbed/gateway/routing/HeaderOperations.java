package dev.meshbed.gateway.routing;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One direction of an Istio {@code headers} block ({@code request} or {@code response}): remove,
 * set, add, applied as Envoy's HeaderParser applies them: every removal first, then the values in
 * the order Istio lists them (the {@code set} entries sorted by name, then the {@code add} entries
 * sorted by name; pilot route.go, translateAppendHeaders). {@code set} overwrites
 * (OVERWRITE_IF_EXISTS_OR_ADD), {@code add} appends another value (APPEND_IF_EXISTS_OR_ADD). An
 * empty value is not written (Envoy's keep_empty_value defaults to false). Values are literal.
 *
 * <p>{@code :authority}/{@code host} never reach these lists: Istio turns a set or add of them into
 * a host rewrite ({@link HeaderPolicy#authority()}) and drops pseudo-headers and {@code host} from
 * the remove list (isInternalHeader).
 */
public final class HeaderOperations {

    public static final HeaderOperations NONE = new HeaderOperations(List.of(), Map.of(), Map.of());

    private final String[] remove;
    private final String[] names;
    private final String[] values;
    private final boolean[] append;

    HeaderOperations(List<String> remove, Map<String, String> set, Map<String, String> add) {
        List<String> rm = new ArrayList<>();
        for (String name : remove) {
            if (!internal(name)) {
                rm.add(name.toLowerCase(Locale.ROOT));
            }
        }
        this.remove = rm.toArray(new String[0]);
        List<String> n = new ArrayList<>();
        List<String> v = new ArrayList<>();
        List<Boolean> a = new ArrayList<>();
        collect(set, false, n, v, a);
        collect(add, true, n, v, a);
        this.names = n.toArray(new String[0]);
        this.values = v.toArray(new String[0]);
        this.append = new boolean[a.size()];
        for (int i = 0; i < append.length; i++) {
            append[i] = a.get(i);
        }
    }

    private static void collect(Map<String, String> in, boolean appendValue, List<String> n, List<String> v,
            List<Boolean> a) {
        for (Map.Entry<String, String> e : new TreeMap<>(in).entrySet()) {
            if (internal(e.getKey()) || e.getValue() == null || e.getValue().isEmpty()) {
                continue;
            }
            n.add(e.getKey().toLowerCase(Locale.ROOT));
            v.add(e.getValue());
            a.add(appendValue);
        }
    }

    /** Istio's isInternalHeader: pseudo-headers and host cannot be written as plain headers. */
    static boolean internal(String name) {
        return name.startsWith(":") || name.equalsIgnoreCase("host");
    }

    /** Istio's isAuthorityHeader. */
    static boolean authority(String name) {
        return name.equalsIgnoreCase(":authority") || name.equalsIgnoreCase("host");
    }

    public boolean isEmpty() {
        return remove.length == 0 && names.length == 0;
    }

    public void apply(HttpHeaders headers) {
        for (String name : remove) {
            headers.remove(name);
        }
        for (int i = 0; i < names.length; i++) {
            if (append[i]) {
                headers.add(names[i], values[i]);
            } else {
                headers.set(names[i], values[i]);
            }
        }
    }

    Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        if (remove.length > 0) {
            out.put("remove", List.of(remove));
        }
        Map<String, String> set = new LinkedHashMap<>();
        Map<String, String> add = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            (append[i] ? add : set).put(names[i], values[i]);
        }
        if (!set.isEmpty()) {
            out.put("set", set);
        }
        if (!add.isEmpty()) {
            out.put("add", add);
        }
        return out;
    }
}
