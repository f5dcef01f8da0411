package dev.meshbed.labs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs one section of a lab the way an attendee would: its steps in order, in one bash session
 * (so what a step exports, the next one sees), from the project's root. Then checks each step's
 * output against what the lab says it shows. The result lists every mismatch, with the output.
 */
final class LabRun {

    private static final Pattern MARK = Pattern.compile("^@@lab-step (\\d+)@@$", Pattern.MULTILINE);

    record Result(boolean ok, String report) {
    }

    /** The confidence the labs' verdicts are judged at here, unless CONFIDENCE is set. */
    static final String SUITE_CONFIDENCE = "0.999";

    static Result run(Lab lab, Lab.Section section, Path root, Duration timeout, Path log)
            throws IOException, InterruptedException {
        return run(lab, section, root, timeout, log, Map.of());
    }

    /** As {@link #run(Lab, Lab.Section, Path, Duration, Path)}, with {@code extraEnv} added to the steps' environment. */
    static Result run(Lab lab, Lab.Section section, Path root, Duration timeout, Path log, Map<String, String> extraEnv)
            throws IOException, InterruptedException {
        StringBuilder script = new StringBuilder("exec 2>&1\nset -eo pipefail\ncd ").append(quote(root.toString())).append('\n');
        for (Lab.Step s : section.steps()) {
            script.append("echo '@@lab-step ").append(s.number()).append("@@'\n");
            if (s.expectFailure()) {
                script.append("if (\n").append(s.commands()).append("); then echo 'the step succeeded, but the lab says it fails'; exit 97; fi\n");
            } else {
                script.append(s.commands());
            }
        }
        script.append("echo '@@lab-step 0@@'\n");

        ProcessBuilder pb = new ProcessBuilder("bash", "-c", script.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        // the outer make's jobserver and flags mean nothing to the make a step runs
        env.remove("MAKEFLAGS");
        env.remove("MFLAGS");
        env.remove("MAKELEVEL");
        env.put("TERM", "dumb");
        // some sixteen split verdicts run in the labs of one CI run: at the labs' 99% each, one run
        // in seven would fail on chance alone; at 99.9%, one in sixty. The expect lines say "99...%".
        env.putIfAbsent("CONFIDENCE", SUITE_CONFIDENCE);
        env.putAll(extraEnv);
        Process p = pb.start();
        boolean done = p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor();
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        return check(lab, section, out, done ? p.exitValue() : -1, timeout);
    }

    /** Checks {@code out} (the marked output of a run) against the section's expectations. */
    static Result check(Lab lab, Lab.Section section, String out, int exit, Duration timeout) {
        List<String> perStep = new ArrayList<>();
        Matcher m = MARK.matcher(out);
        List<int[]> marks = new ArrayList<>();
        while (m.find()) {
            marks.add(new int[] {Integer.parseInt(m.group(1)), m.start(), m.end()});
        }
        for (int i = 0; i <= section.steps().size(); i++) {
            perStep.add(null);
        }
        int last = 0;
        for (int i = 0; i < marks.size(); i++) {
            int step = marks.get(i)[0];
            int end = i + 1 < marks.size() ? marks.get(i + 1)[1] : out.length();
            if (step > 0) {
                perStep.set(step, out.substring(marks.get(i)[2], end));
                last = step;
            } else {
                last = -1; // the end mark: every step ran
            }
        }
        StringBuilder report = new StringBuilder();
        String where = lab.file().getFileName() + " (" + section.mode() + ")";
        if (exit == -1) {
            report.append(where).append(": timed out after ").append(timeout.toMinutes()).append(" min in step ").append(last);
        } else if (last != -1 || exit != 0) {
            Lab.Step s = last > 0 ? section.steps().get(last - 1) : null;
            report.append(where).append(": step ").append(last).append(" failed (exit ").append(exit).append(")");
            if (s != null) {
                report.append(":\n  $ ").append(s.commands().strip().replace("\n", "\n  $ "));
            }
        }
        for (Lab.Step s : section.steps()) {
            String output = perStep.get(s.number());
            if (output == null) {
                continue;
            }
            for (String line : s.expected()) {
                if (!Lab.pattern(line).matcher(output).find()) {
                    report.append(report.length() == 0 ? "" : "\n").append(where).append(": step ").append(s.number())
                            .append(" should show\n    ").append(line.strip()).append("\n  but its output was:\n")
                            .append(indent(tail(output)));
                }
            }
        }
        if (report.length() > 0 && last > 0 && exit != 0) {
            report.append("\n  output of step ").append(last).append(":\n").append(indent(tail(perStep.get(last))));
        }
        return new Result(report.length() == 0, report.toString());
    }

    private static String tail(String s) {
        List<String> lines = s.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private static String indent(String s) {
        return s.lines().map(l -> "    | " + l).reduce((a, b) -> a + "\n" + b).orElse("    | (no output)");
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
