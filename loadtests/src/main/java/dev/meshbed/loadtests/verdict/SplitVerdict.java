package dev.meshbed.loadtests.verdict;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.stat.inference.AlternativeHypothesis;
import org.apache.commons.math3.stat.inference.BinomialTest;
import org.apache.commons.math3.stat.inference.ChiSquareTest;

/**
 * Does an observed split match the configured weights? A goodness-of-fit test of the response
 * counts per version against weight / sum of weights, at a stated confidence:
 *
 * <ul>
 *   <li>two versions: the exact two-sided binomial test (the exact multinomial test for two
 *       categories). Being exact, it raises a false alarm at most 1 - confidence of the time at
 *       any request count, where the chi-square approximation may exceed it slightly;
 *   <li>three or more: Pearson's chi-square test with k - 1 degrees of freedom.
 * </ul>
 *
 * A version with weight 0 must get nothing, and a version no weight names (another version, a
 * response without {@code x-version}) counts against the split: either fails the verdict outright.
 * Each share also gets a Wilson score interval at the same confidence.
 */
public final class SplitVerdict {

    /** One version: responses, observed and expected share, and the interval around the observed one. */
    public record Share(String version, long count, double observed, double expected, double low, double high) {
    }

    private final List<Share> shares;
    private final long total;
    private final double confidence;
    private final double pValue;
    private final String test;
    private final boolean pass;
    private final String reason;

    private SplitVerdict(List<Share> shares, long total, double confidence, double pValue, String test, boolean pass,
            String reason) {
        this.shares = List.copyOf(shares);
        this.total = total;
        this.confidence = confidence;
        this.pValue = pValue;
        this.test = test;
        this.pass = pass;
        this.reason = reason;
    }

    /**
     * Expected shares from weights: weight / sum of weights.
     *
     * @throws IllegalArgumentException for a negative or missing weight, or weights that sum to 0
     */
    public static Map<String, Double> shares(Map<String, ? extends Number> weights) {
        requireNonNull(weights, "weights");
        double sum = 0;
        for (Map.Entry<String, ? extends Number> e : weights.entrySet()) {
            Number w = e.getValue();
            if (w == null || Double.isNaN(w.doubleValue()) || w.doubleValue() < 0) {
                throw new IllegalArgumentException("weight of " + e.getKey() + ": " + w + " (expected: a number >= 0)");
            }
            sum += w.doubleValue();
        }
        if (weights.isEmpty() || sum <= 0) {
            throw new IllegalArgumentException("weights: " + weights + " (expected: at least one positive weight)");
        }
        Map<String, Double> out = new LinkedHashMap<>();
        for (Map.Entry<String, ? extends Number> e : weights.entrySet()) {
            out.put(e.getKey(), e.getValue().doubleValue() / sum);
        }
        return out;
    }

    /**
     * @param counts responses per version, e.g. {@code {v1=3210, v2=790}}
     * @param weights the configured weights per version
     * @param confidence e.g. 0.99: the verdict fails when p-value &lt; 1 - confidence
     */
    public static SplitVerdict evaluate(Map<String, Long> counts, Map<String, ? extends Number> weights,
            double confidence) {
        requireNonNull(counts, "counts");
        if (!(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("confidence: " + confidence + " (expected: 0 < confidence < 1)");
        }
        Map<String, Double> expected = shares(weights);
        TreeSet<String> versions = new TreeSet<>(expected.keySet());
        versions.addAll(counts.keySet());
        long total = 0;
        for (long c : counts.values()) {
            if (c < 0) {
                throw new IllegalArgumentException("counts: " + counts + " (expected: >= 0)");
            }
            total += c;
        }
        double alpha = 1 - confidence;
        double z = new NormalDistribution().inverseCumulativeProbability(1 - alpha / 2);
        List<Share> shares = new ArrayList<>();
        List<String> strays = new ArrayList<>();
        List<Long> testedCounts = new ArrayList<>();
        List<Double> testedShares = new ArrayList<>();
        for (String v : versions) {
            long c = counts.getOrDefault(v, 0L);
            double e = expected.getOrDefault(v, 0.0);
            double o = total == 0 ? 0 : (double) c / total;
            double[] wilson = wilson(c, total, z);
            shares.add(new Share(v, c, o, e, wilson[0], wilson[1]));
            if (e == 0 && c > 0) {
                strays.add(v + " got " + c + " responses but has " + (expected.containsKey(v) ? "weight 0" : "no weight"));
            } else if (e > 0) {
                testedCounts.add(c);
                testedShares.add(e);
            }
        }
        if (total == 0) {
            return new SplitVerdict(shares, 0, confidence, 0, "none", false, "no responses were counted");
        }
        if (!strays.isEmpty()) {
            return new SplitVerdict(shares, total, confidence, 0, "none", false, String.join("; ", strays));
        }
        double p;
        String test;
        if (testedCounts.size() == 1) {
            p = 1; // a lone destination gets everything, and nothing else got anything
            test = "single version";
        } else if (testedCounts.size() == 2) {
            int n = Math.toIntExact(total);
            p = new BinomialTest().binomialTest(n, Math.toIntExact(testedCounts.get(0)), testedShares.get(0),
                    AlternativeHypothesis.TWO_SIDED);
            test = "exact binomial";
        } else {
            long[] observed = testedCounts.stream().mapToLong(Long::longValue).toArray();
            double[] exp = new double[observed.length];
            for (int i = 0; i < exp.length; i++) {
                exp[i] = testedShares.get(i) * total;
            }
            p = new ChiSquareTest().chiSquareTest(exp, observed);
            test = "chi-square (" + (observed.length - 1) + " df)";
        }
        boolean pass = p >= alpha;
        String reason = pass ? "consistent with the weights" : "not consistent with the weights";
        return new SplitVerdict(shares, total, confidence, p, test, pass, reason);
    }

    /** Wilson score interval for {@code k} of {@code n}, with the normal quantile {@code z}. */
    static double[] wilson(long k, long n, double z) {
        if (n == 0) {
            return new double[] {0, 1};
        }
        double p = (double) k / n;
        double z2 = z * z;
        double center = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = z * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
        return new double[] {Math.max(0, center - half), Math.min(1, center + half)};
    }

    public boolean pass() {
        return pass;
    }


    /** {@code exact binomial}, {@code chi-square (2 df)}, ... */
    public String test() {
        return test;
    }

    public long total() {
        return total;
    }

    public double pValue() {
        return pValue;
    }

    public double confidence() {
        return confidence;
    }

    /** Why it passed or failed, in a few words. */
    public String reason() {
        return reason;
    }

    public List<Share> shares() {
        return shares;
    }

    /** The largest |observed - expected| share, in percentage points. */
    public double maxDeviationPoints() {
        double max = 0;
        for (Share s : shares) {
            max = Math.max(max, Math.abs(s.observed() - s.expected()));
        }
        return 100 * max;
    }

    /**
     * One line: {@code EdgeSplit http://127.0.0.1:18080: v1 80.3% [78.6, 81.9] (expected 80.0%), v2 ...;
     * n=4000; exact binomial p=0.61; PASS at 99% confidence (max deviation 0.3 points); report ...}.
     */
    public String line(String scenario, String target, String reportPath) {
        StringBuilder sb = new StringBuilder();
        sb.append(scenario).append(' ').append(target).append(": ");
        for (int i = 0; i < shares.size(); i++) {
            Share s = shares.get(i);
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(String.format(Locale.ROOT, "%s %.1f%% [%.1f, %.1f] (expected %.1f%%)", s.version(),
                    100 * s.observed(), 100 * s.low(), 100 * s.high(), 100 * s.expected()));
        }
        // a p-value below double's range comes back as 0: say so rather than print p=0.00
        String p = pValue == 0 && !"none".equals(test) ? "p<1e-300" : String.format(Locale.ROOT, "p=%.3g", pValue);
        sb.append(String.format(Locale.ROOT, "; n=%d; %s %s; %s at %s%% confidence", total, test, p,
                pass ? "PASS" : "FAIL", percent(confidence)));
        sb.append(String.format(Locale.ROOT, " (%s; max deviation %.1f points)", reason, maxDeviationPoints()));
        if (reportPath != null) {
            sb.append("; report ").append(reportPath);
        }
        return sb.toString();
    }

    /** The verdict as JSON, for tools and for the file beside the report. */
    public String toJson(String scenario, String target, String reportPath) {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.put("scenario", scenario);
        root.put("target", target);
        root.put("verdict", pass ? "PASS" : "FAIL");
        root.put("reason", reason);
        root.put("confidence", confidence);
        root.put("test", test);
        root.put("p_value", pValue);
        root.put("requests", total);
        root.put("max_deviation_points", maxDeviationPoints());
        ArrayNode versions = root.putArray("versions");
        for (Share s : shares) {
            ObjectNode v = versions.addObject();
            v.put("version", s.version());
            v.put("count", s.count());
            v.put("observed_share", s.observed());
            v.put("expected_share", s.expected());
            v.put("interval_low", s.low());
            v.put("interval_high", s.high());
        }
        root.put("report", reportPath);
        try {
            return json.writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** 0.99 as "99", 0.9975 as "99.75": six significant digits, no trailing zeros. */
    public static String percent(double confidence) {
        return new java.math.BigDecimal(100 * confidence).round(new java.math.MathContext(6)).stripTrailingZeros()
                .toPlainString();
    }

    @Override
    public String toString() {
        return line("split", "-", null);
    }
}
