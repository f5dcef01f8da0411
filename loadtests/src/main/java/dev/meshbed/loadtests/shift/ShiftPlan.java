package dev.meshbed.loadtests.shift;

import dev.meshbed.loadtests.LoadTestException;
import dev.meshbed.loadtests.expect.ExpectedSplit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * WeightShift's schedule: the steps' weights, applied one after another at equal intervals over
 * the run (the first at the start). Each step is judged on the responses from {@code settle}
 * after its write to the next write, so that the gateway's convergence is not held against it.
 */
public record ShiftPlan(List<ExpectedSplit> steps, Duration stepLength, Duration settle) {

    public ShiftPlan {
        steps = List.copyOf(steps);
        if (steps.size() < 2) {
            throw new LoadTestException("STEPS: " + steps.size() + " step (expected: at least 2, such as 90-10,50-50)");
        }
        if (settle.compareTo(stepLength) >= 0) {
            throw new LoadTestException("DURATION: each of the " + steps.size() + " steps would last " + stepLength.toMillis()
                    + " ms, not more than the " + settle.toMillis() + " ms the gateway is given to converge; run longer");
        }
    }

    /** {@code 100-0,90-10,50-50,0-100} over {@code duration}, weights in the order of {@code versions}. */
    public static ShiftPlan parse(String steps, List<String> versions, Duration duration, Duration settle) {
        List<ExpectedSplit> out = new ArrayList<>();
        for (String s : steps.split(",")) {
            if (!s.isBlank()) {
                out.add(ExpectedSplit.ofStep(s, versions));
            }
        }
        if (out.isEmpty()) {
            throw new LoadTestException("STEPS: '" + steps + "' (expected: weights like 100-0,90-10,50-50,0-100)");
        }
        return new ShiftPlan(out, duration.dividedBy(Math.max(1, out.size())), settle);
    }

    /** When step {@code i} is written, in ms after the start. */
    public long startOffsetMillis(int i) {
        return i * stepLength.toMillis();
    }

    public static String name(ExpectedSplit step) {
        return step.source().replaceFirst("^step ", "");
    }
}
