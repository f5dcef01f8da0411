package dev.meshbed.gateway.it;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/** A scrape of /stats/prometheus (text format 0.0.4): sample name and labels to value. */
final class Prometheus {

    private final Map<String, Double> samples;
    private final String text;

    private Prometheus(Map<String, Double> samples, String text) {
        this.samples = samples;
        this.text = text;
    }

    static Prometheus parse(String text) {
        Map<String, Double> samples = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int split = line.lastIndexOf(' ');
            samples.put(normalize(line.substring(0, split).trim()), Double.parseDouble(line.substring(split + 1)));
        }
        return new Prometheus(samples, text);
    }

    /** The labels of a sample in name order, so that lookups need not know the exposition order. */
    private static String normalize(String series) {
        int brace = series.indexOf('{');
        if (brace < 0) {
            return series;
        }
        Map<String, String> labels = new TreeMap<>();
        String body = series.substring(brace + 1, series.length() - 1);
        int i = 0;
        while (i < body.length()) {
            int eq = body.indexOf('=', i);
            String name = body.substring(i, eq).trim();
            int start = eq + 2; // after ="
            StringBuilder value = new StringBuilder();
            int j = start;
            while (body.charAt(j) != '"') {
                if (body.charAt(j) == '\\') {
                    j++;
                }
                value.append(body.charAt(j));
                j++;
            }
            labels.put(name, value.toString());
            i = j + 1;
            while (i < body.length() && (body.charAt(i) == ',' || body.charAt(i) == ' ')) {
                i++;
            }
        }
        return key(series.substring(0, brace), labels);
    }

    private static String key(String name, Map<String, String> labels) {
        StringBuilder sb = new StringBuilder(name).append('{');
        labels.forEach((k, v) -> sb.append(k).append('=').append(v).append(';'));
        return sb.append('}').toString();
    }

    /** The value of a sample, 0 when it is absent (a counter not yet created). Labels: name, value, ... */
    double value(String name, String... labels) {
        Map<String, String> l = new TreeMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            l.put(labels[i], labels[i + 1]);
        }
        String k = labels.length == 0 && samples.containsKey(name) ? name : key(name, l);
        return samples.getOrDefault(k, 0.0);
    }

    /** Whether a sample of this name (with any labels) is exposed at all. */
    boolean has(String name) {
        return samples.keySet().stream().anyMatch(k -> k.equals(name) || k.startsWith(name + "{"));
    }

    @Override
    public String toString() {
        return text;
    }
}
