package dev.meshbed.loadtests.expect;

import static java.util.Objects.requireNonNull;

import dev.meshbed.loadtests.LoadTestException;
import dev.meshbed.loadtests.verdict.SplitVerdict;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The split a run expects, per version, and where it came from: given ({@code WEIGHTS=v1=80,v2=20}),
 * read from a VirtualService (see {@link VirtualServiceWeights}), or counted from ready pods.
 */
public record ExpectedSplit(Map<String, Integer> weights, String source) {

    private static final Pattern PAIR = Pattern.compile("\\s*([A-Za-z0-9][A-Za-z0-9._-]*)\\s*[=:]\\s*(\\S+)\\s*");

    public ExpectedSplit {
        requireNonNull(weights, "weights");
        requireNonNull(source, "source");
        weights = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(weights));
        try {
            SplitVerdict.shares(weights);
        } catch (IllegalArgumentException e) {
            throw new LoadTestException(source + ": " + e.getMessage());
        }
    }

    /**
     * {@code v1=80,v2=20} (or {@code v1:80 v2:20}); weights are whole numbers &gt;= 0, as in a
     * VirtualService, and at least one is positive.
     */
    public static ExpectedSplit parse(String text) {
        requireNonNull(text, "text");
        Map<String, Integer> w = new LinkedHashMap<>();
        for (String part : text.trim().split("[,\\s]+")) {
            Matcher m = PAIR.matcher(part);
            if (!m.matches()) {
                throw new LoadTestException("WEIGHTS: " + text + " (expected: version=weight pairs, such as v1=80,v2=20)");
            }
            int weight;
            try {
                weight = Integer.parseInt(m.group(2));
            } catch (NumberFormatException e) {
                throw new LoadTestException("WEIGHTS: weight of " + m.group(1) + ": " + m.group(2)
                        + " (expected: a whole number >= 0)");
            }
            if (weight < 0) {
                throw new LoadTestException("WEIGHTS: weight of " + m.group(1) + ": " + weight + " (expected: >= 0)");
            }
            if (w.put(m.group(1), weight) != null) {
                throw new LoadTestException("WEIGHTS: " + m.group(1) + " is given twice in " + text);
            }
        }
        return new ExpectedSplit(w, "WEIGHTS=" + text.trim());
    }

    /** Weights as a {@code 90-10} step name is written: v1 first, v2 second. */
    public static ExpectedSplit ofStep(String step, List<String> versions) {
        String[] parts = step.trim().split("[-:/]");
        if (parts.length != versions.size()) {
            throw new LoadTestException("STEPS: " + step + " (expected: " + versions.size()
                    + " weights joined by '-', such as 90-10, for " + String.join(", ", versions) + ")");
        }
        Map<String, Integer> w = new LinkedHashMap<>();
        for (int i = 0; i < parts.length; i++) {
            try {
                int v = Integer.parseInt(parts[i]);
                if (v < 0) {
                    throw new NumberFormatException();
                }
                w.put(versions.get(i), v);
            } catch (NumberFormatException e) {
                throw new LoadTestException("STEPS: " + step + ": " + parts[i] + " is not a weight (expected: a whole number >= 0)");
            }
        }
        return new ExpectedSplit(w, "step " + step);
    }

    /** {@code v1 80 %, v2 20 %} */
    public String describe() {
        Map<String, Double> shares = SplitVerdict.shares(weights);
        StringBuilder sb = new StringBuilder();
        shares.forEach((v, s) -> sb.append(sb.length() == 0 ? "" : ", ")
                .append(String.format(Locale.ROOT, "%s %.4g %%", v, 100 * s).replaceAll("\\.?0+ %", " %")));
        return sb + " (" + source + ")";
    }
}
