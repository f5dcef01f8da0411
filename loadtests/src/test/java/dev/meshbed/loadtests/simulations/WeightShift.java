package dev.meshbed.loadtests.simulations;

import dev.meshbed.loadtests.LoadSettings;
import dev.meshbed.loadtests.LoadTestException;
import dev.meshbed.loadtests.RunFolder;
import dev.meshbed.loadtests.expect.ExpectedSplit;
import dev.meshbed.loadtests.shift.ShiftPlan;
import dev.meshbed.loadtests.shift.ShiftVerdict;
import dev.meshbed.loadtests.shift.WeightChanger;
import dev.meshbed.loadtests.target.RunningTestbed;
import dev.meshbed.loadtests.target.Targets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A canary rollout under constant load: the weights change in steps (STEPS, default
 * 100-0,90-10,50-50,0-100) at equal intervals, written where the running gateway reads them (the
 * local config directory, or the VirtualService through the API server). Each step's split is
 * judged on its own window, and not one request may fail. The report's x-version rows show the
 * shift over time; verdict.json has the counts per second.
 */
public class WeightShift extends SplitSimulation {

    /** Time the gateway is given to pick a write up (measured: well under a second, locally and on the mock API). */
    static final Duration SETTLE = Duration.ofMillis(1500);

    private final AtomicLongArray written; // when each step was written (epoch ms); 0 until then
    private final List<String> writeErrors = Collections.synchronizedList(new ArrayList<>());
    private final ShiftPlan plan;
    private final WeightChanger changer;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "weight-shift");
        t.setDaemon(true);
        return t;
    });

    public WeightShift() {
        super(Duration.ofSeconds(40), LoadSettings.Connections.KEEPALIVE);
        RunningTestbed tb = guard(() -> {
            if (settings.target().isPresent()) {
                throw new LoadTestException("WeightShift changes the running testbed's weights: drop TARGET");
            }
            return RunningTestbed.require(settings.root(), settings.mode(), settings.testbed());
        });
        Targets.Target t = guard(() -> Targets.edge(settings));
        List<String> versions = new ArrayList<>(t.expected().weights().keySet());
        Collections.sort(versions);
        plan = guard(() -> ShiftPlan.parse(settings.steps(), versions, settings.duration(), SETTLE));
        changer = Targets.changer(tb);
        written = new AtomicLongArray(plan.steps().size());
        Map<String, Integer> any = new LinkedHashMap<>();
        versions.forEach(v -> any.put(v, 1));
        ExpectedSplit probe = new ExpectedSplit(any, "the versions of the steps");
        StringBuilder steps = new StringBuilder();
        plan.steps().forEach(s -> steps.append(steps.length() == 0 ? "" : " -> ").append(ShiftPlan.name(s)));
        System.out.println();
        System.out.println("WeightShift: " + steps + " (" + String.join(":", versions) + "), a step every "
                + plan.stepLength().toMillis() / 1000.0 + " s, written to " + changer.describe());
        start(t.url(), t.how(), plan.steps().get(0), probe, () -> {
            ShiftVerdict v = ShiftVerdict.evaluate(plan, writtenTimes(), loadEndMillis, tally, failed.sum(),
                    settings.confidence(), loadStartMillis);
            boolean pass = v.pass() && writeErrors.isEmpty();
            String errors = writeErrors.isEmpty() ? "" : "; weight writes failed: " + writeErrors;
            return new Judgement(pass, (pass ? "every step consistent, no failed request" : "see the steps") + errors,
                    report -> v.toJson("WeightShift", t.url(), report, loadStartMillis),
                    report -> v.lines("WeightShift", t.url(), report) + errors);
        });
    }

    @Override
    public void before() {
        super.before();
        for (int i = 0; i < plan.steps().size(); i++) {
            ExpectedSplit step = plan.steps().get(i);
            int index = i;
            scheduler.schedule(() -> {
                try {
                    changer.apply(step);
                    written.set(index, System.currentTimeMillis());
                    System.out.println("WeightShift: wrote " + ShiftPlan.name(step));
                } catch (RuntimeException e) {
                    writeErrors.add(ShiftPlan.name(step) + ": " + e.getMessage());
                }
            }, plan.startOffsetMillis(i), TimeUnit.MILLISECONDS);
        }
    }

    private List<Long> writtenTimes() {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < written.length(); i++) {
            out.add(written.get(i));
        }
        return out;
    }

    @Override
    public void after() {
        scheduler.shutdownNow();
    }
}
