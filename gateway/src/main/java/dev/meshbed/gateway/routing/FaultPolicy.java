package dev.meshbed.gateway.routing;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A route's fault injection (HTTPRoute.fault), as Istio hands it to Envoy's fault filter: a fixed
 * delay and an HTTP abort, each drawn per request with its own probability. Probabilities are
 * in parts per million, as Envoy's FractionalPercent with denominator MILLION: Istio turns
 * {@code percentage: {value: v}} into {@code v * 10000} per million and the deprecated int
 * {@code percent: p} into p per hundred (pilot route.go, TranslateFault). No percentage at all
 * means 0: nothing is injected ("If left unspecified, no request will be delayed/aborted").
 *
 * @param delayMillis the fixed delay, 0 when there is none
 * @param delayPerMillion how many requests in a million are delayed
 * @param abortStatus the HTTP status of an abort, 0 when there is none
 * @param abortPerMillion how many requests in a million are aborted (drawn after the delay, as Envoy does)
 */
public record FaultPolicy(long delayMillis, int delayPerMillion, int abortStatus, int abortPerMillion) {

    /** Envoy's FractionalPercent denominator MILLION. */
    public static final int MILLION = 1_000_000;

    /** Envoy's body for an injected abort. */
    public static final String ABORT_BODY = "fault filter abort";

    public FaultPolicy {
        if (delayMillis < 0) {
            throw new IllegalArgumentException("delayMillis: " + delayMillis + " (expected: >= 0)");
        }
        if (abortStatus != 0 && (abortStatus < 200 || abortStatus > 599)) {
            throw new IllegalArgumentException("abortStatus: " + abortStatus + " (expected: 200-599)");
        }
        checkFraction("delayPerMillion", delayPerMillion);
        checkFraction("abortPerMillion", abortPerMillion);
    }

    private static void checkFraction(String name, int perMillion) {
        if (perMillion < 0 || perMillion > MILLION) {
            throw new IllegalArgumentException(name + ": " + perMillion + " (expected: 0-" + MILLION + ")");
        }
    }

    /** {@code percentage.value} (a double, 0-100) in parts per million, truncated as Istio's uint32 cast does. */
    static int perMillion(double percent) {
        return (int) Math.min(MILLION, Math.max(0, (long) (percent * 10000)));
    }

    public boolean hasDelay() {
        return delayMillis > 0 && delayPerMillion > 0;
    }

    public boolean hasAbort() {
        return abortStatus != 0 && abortPerMillion > 0;
    }

    /** Whether this request is delayed. Draws a number only when the answer is not certain. */
    public boolean drawDelay(RandomSource random) {
        return hasDelay() && draw(delayPerMillion, random);
    }

    /** Whether this request is aborted. Draws a number only when the answer is not certain. */
    public boolean drawAbort(RandomSource random) {
        return hasAbort() && draw(abortPerMillion, random);
    }

    private static boolean draw(int perMillion, RandomSource random) {
        return perMillion >= MILLION || random.nextInt(MILLION) < perMillion;
    }

    Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        if (delayMillis > 0) {
            out.put("delay", Map.of("fixed_delay_ms", delayMillis, "percentage", delayPerMillion / 10000.0));
        }
        if (abortStatus != 0) {
            out.put("abort", Map.of("http_status", abortStatus, "percentage", abortPerMillion / 10000.0));
        }
        return out;
    }
}
