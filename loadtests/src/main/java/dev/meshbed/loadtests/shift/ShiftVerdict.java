package dev.meshbed.loadtests.shift;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.meshbed.loadtests.VersionTally;
import dev.meshbed.loadtests.verdict.SplitVerdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * WeightShift's verdict: each step's split against its weights (the same test as EdgeSplit, on the
 * responses of the step's settled window), and no failed request over the whole run.
 *
 * <p>The stated confidence holds for the run, not for each step: with k steps each is judged at
 * 1 - (1 - confidence) / k (Bonferroni), so a rollout whose every step is right fails at most
 * 1 - confidence of the time, however many steps it has. Judged at 99% each, a four-step run
 * raised a false alarm up to 4% of the time (seen in CI: a 90-10 step at 93.4%, p=0.003).
 */
public final class ShiftVerdict {

    public record Step(String name, long writtenAtMillis, long fromMillis, long toMillis, SplitVerdict verdict) {
    }

    private final List<Step> steps;
    private final long failed;
    private final Map<Long, Map<String, Long>> timeline;

    private final int planned;
    private final double confidence;

    private ShiftVerdict(List<Step> steps, int planned, long failed, Map<Long, Map<String, Long>> timeline,
            double confidence) {
        this.planned = planned;
        this.confidence = confidence;
        this.steps = List.copyOf(steps);
        this.failed = failed;
        this.timeline = timeline;
    }

    /**
     * @param written when each step was written (epoch ms), in plan order; 0 for a step whose write
     *                failed, which is left out (its window goes to the step before it)
     * @param endMillis when the load ended
     */
    public static ShiftVerdict evaluate(ShiftPlan plan, List<Long> written, long endMillis, VersionTally tally,
            long failed, double confidence, long startMillis) {
        double perStep = perStepConfidence(confidence, plan.steps().size());
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < written.size(); i++) {
            if (written.get(i) <= 0) {
                continue;
            }
            long to = endMillis;
            for (int j = i + 1; j < written.size(); j++) {
                if (written.get(j) > 0) {
                    to = written.get(j);
                    break;
                }
            }
            long from = written.get(i) + plan.settle().toMillis();
            var step = plan.steps().get(i);
            steps.add(new Step(ShiftPlan.name(step), written.get(i), from, to,
                    SplitVerdict.evaluate(tally.counts(from, to), step.weights(), perStep)));
        }
        return new ShiftVerdict(steps, plan.steps().size(), failed, tally.perSecond(startMillis), confidence);
    }

    /** The confidence each of {@code steps} is judged at so that the run holds at {@code confidence}. */
    static double perStepConfidence(double confidence, int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("steps: " + steps + " (expected: >= 1)");
        }
        return 1 - (1 - confidence) / steps;
    }

    /** Every step written and consistent with its weights, and no failed request. */
    public boolean pass() {
        return failed == 0 && steps.size() == planned && steps.stream().allMatch(s -> s.verdict().pass());
    }

    public List<Step> steps() {
        return steps;
    }

    /** One line per step, then the overall line. */
    public String lines(String scenario, String target, String reportPath) {
        StringBuilder sb = new StringBuilder();
        for (Step s : steps) {
            sb.append("  step ").append(s.name()).append(": ").append(s.verdict().line("", "", null).replaceFirst("^ : ", ""))
                    .append('\n');
        }
        sb.append(String.format(Locale.ROOT,
                "%s %s: %d steps, %d of them consistent with their weights (%s%% confidence over the run); %d failed requests; %s",
                scenario, target, planned, steps.stream().filter(s -> s.verdict().pass()).count(),
                SplitVerdict.percent(confidence), failed, pass() ? "PASS" : "FAIL"));
        if (reportPath != null) {
            sb.append("; report ").append(reportPath);
        }
        return sb.toString();
    }

    public String toJson(String scenario, String target, String reportPath, long startMillis) {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.put("scenario", scenario);
        root.put("target", target);
        root.put("verdict", pass() ? "PASS" : "FAIL");
        root.put("failed_requests", failed);
        root.put("confidence", confidence);
        root.put("step_confidence", perStepConfidence(confidence, planned));
        ArrayNode arr = root.putArray("steps");
        for (Step s : steps) {
            ObjectNode n = arr.addObject();
            n.put("weights", s.name());
            n.put("written_at_s", (s.writtenAtMillis() - startMillis) / 1000.0);
            n.put("judged_from_s", (s.fromMillis() - startMillis) / 1000.0);
            n.put("judged_to_s", (s.toMillis() - startMillis) / 1000.0);
            try {
                n.set("verdict", json.readTree(s.verdict().toJson(scenario, target, null)));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        ObjectNode tl = root.putObject("per_second");
        timeline.forEach((sec, counts) -> tl.set(String.valueOf(sec), json.valueToTree(counts)));
        root.put("report", reportPath);
        try {
            return json.writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
