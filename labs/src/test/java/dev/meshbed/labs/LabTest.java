package dev.meshbed.labs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lab runner itself: that it reads the Markdown's steps, and that a lab whose output drifted fails. */
class LabTest {

    static final String LAB = """
            # A lab

            Prose, and a command that is not a step:

            ```sh
            echo not-run
            ```

            ## Local mode

            1. Say hello:

            ```sh
            export WHO=attendee
            echo "hello $WHO, 42 requests"
            ```

            ```expect
            hello attendee, ... requests
            ```

            2. This one fails, on purpose:

            ```sh expect-failure
            false
            ```

            ## Why

            ```sh
            echo not-run-either
            ```
            """;

    @Test
    void readsTheStepsOfEachMode() {
        Lab lab = Lab.parse(Path.of("00-test.md"), LAB);
        assertThat(lab.title()).isEqualTo("A lab");
        Lab.Section local = lab.section(Lab.LOCAL).orElseThrow();
        assertThat(local.steps()).hasSize(2);
        assertThat(local.steps().get(0).commands()).contains("export WHO");
        assertThat(local.steps().get(0).expected()).containsExactly("hello attendee, ... requests");
        assertThat(local.steps().get(1).expectFailure()).isTrue();
        assertThat(lab.section(Lab.CLUSTER)).isEmpty();
    }

    @Test
    void expectedLinesMatchWithEllipses() {
        assertThat(Lab.pattern("v1 ... (expected 90.0%)").matcher("EdgeSplit: v1 89.7% [88, 91] (expected 90.0%)").find())
                .isTrue();
        assertThat(Lab.pattern("v1 ... (expected 90.0%)").matcher("v1 50% (expected 50.0%)").find()).isFalse();
        assertThat(Lab.pattern("a ... b").matcher("a\nb").find()).as("within one line").isFalse();
    }

    @Test
    void aLabRunsAndItsOutputIsChecked(@TempDir Path dir) throws Exception {
        Lab lab = Lab.parse(Path.of("00-test.md"), LAB);
        LabRun.Result ok = LabRun.run(lab, lab.section(Lab.LOCAL).orElseThrow(), dir, Duration.ofSeconds(30),
                dir.resolve("ok.log"));
        assertThat(ok.ok()).as(ok.report()).isTrue();

        Lab drifted = Lab.parse(Path.of("00-test.md"), LAB.replace("hello attendee, ... requests", "goodbye"));
        LabRun.Result bad = LabRun.run(drifted, drifted.section(Lab.LOCAL).orElseThrow(), dir, Duration.ofSeconds(30),
                dir.resolve("bad.log"));
        assertThat(bad.ok()).isFalse();
        assertThat(bad.report()).contains("step 1 should show").contains("goodbye").contains("hello attendee, 42 requests");

        Lab broken = Lab.parse(Path.of("00-test.md"), LAB.replace("export WHO=attendee", "exit 3"));
        LabRun.Result failed = LabRun.run(broken, broken.section(Lab.LOCAL).orElseThrow(), dir, Duration.ofSeconds(30),
                dir.resolve("broken.log"));
        assertThat(failed.ok()).isFalse();
        assertThat(failed.report()).contains("step 1 failed (exit 3)");

        Lab notFailing = Lab.parse(Path.of("00-test.md"), LAB.replace("```sh expect-failure\nfalse", "```sh expect-failure\ntrue"));
        LabRun.Result r = LabRun.run(notFailing, notFailing.section(Lab.LOCAL).orElseThrow(), dir, Duration.ofSeconds(30),
                dir.resolve("nf.log"));
        assertThat(r.report()).contains("step 2 failed (exit 97)");
    }
}
