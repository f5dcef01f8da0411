package dev.meshbed.labs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every lab's "Local mode" steps, as typed from its Markdown, against the local testbed
 * ({@code make local}, ports 18080-18082, 15021 and 15000): what `make test` runs.
 */
class LocalLabsIT {

    static final Path ROOT = Path.of(System.getProperty("labs.root", "..")).toAbsolutePath().normalize();

    @TestFactory
    List<DynamicTest> localLabs() throws Exception {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path file : Lab.all(ROOT.resolve("labs"))) {
            if (!Lab.selected(file)) {
                continue;
            }
            Lab lab = Lab.parse(file);
            lab.section(Lab.LOCAL).ifPresent(section -> tests.add(DynamicTest.dynamicTest(
                    file.getFileName() + ": " + lab.title(), () -> {
                        Path log = Files.createDirectories(ROOT.resolve("labs/target/lab-logs"))
                                .resolve(file.getFileName() + ".local.log");
                        LabRun.Result r = LabRun.run(lab, section, ROOT, Duration.ofMinutes(10), log);
                        assertThat(r.ok()).as("%s (full output: %s)", r.report(), log).isTrue();
                    })));
        }
        if (System.getProperty("labs.only", "").isBlank()) {
            assertThat(tests).as("labs with a local-mode section").hasSizeGreaterThanOrEqualTo(4);
        }
        return tests;
    }

    /** A lab that failed half-way leaves the local testbed up: stop it (by the PIDs it wrote). */
    @AfterEach
    void stopTheLocalTestbed() throws Exception {
        new ProcessBuilder("scripts/local.sh", "down").directory(ROOT.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
    }
}
