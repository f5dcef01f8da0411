package dev.meshbed.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * The shell scripts run on laptops, macOS among them: scripts/*.sh are clean under shellcheck, and
 * the portable ones (all but those whose header says {@code # linux-only}) use nothing that bash
 * 3.2 (macOS's /bin/bash) or macOS's BSD tools lack ({@link ShellPortability}). The check is
 * itself checked on known bad and known good snippets, so that it cannot pass by seeing nothing.
 */
class ScriptsTest {

    /** The scripts laptops run (README, labs): never Linux-only. */
    private static final List<String> LAPTOP_SCRIPTS = List.of("base-image.sh", "bench.sh", "demo.sh", "images.sh",
            "lib.sh", "loadtest.sh", "local.sh", "testbed.sh");

    private static Path root() {
        String root = System.getProperty("meshbed.root");
        return root != null ? Path.of(root).toAbsolutePath().normalize() : Project.locate(null).root();
    }

    private static List<Path> scripts() throws IOException {
        try (Stream<Path> files = Files.list(root().resolve("scripts"))) {
            return files.filter(p -> p.getFileName().toString().endsWith(".sh")).sorted().toList();
        }
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    // ---- shellcheck ----------------------------------------------------------------------------

    @Test
    void shellcheckFindsNothingInAnyScript() throws Exception {
        String version = shellcheckVersion();
        if (version == null) {
            String why = "shellcheck is not installed (Debian: apt-get install shellcheck; macOS: brew install shellcheck)";
            if ("true".equalsIgnoreCase(System.getenv().getOrDefault("CI", ""))) { // CI installs it (.ci/run)
                fail("CI=true needs shellcheck, and " + why);
            }
            System.out.println("ScriptsTest: shellcheck skipped: " + why);
            assumeTrue(false, why);
        }
        List<String> cmd = new ArrayList<>(List.of("shellcheck", "-x"));
        Path root = root();
        for (Path p : scripts()) {
            cmd.add(root.relativize(p).toString()); // relative: the source= directives are relative to the root
        }
        assertThat(cmd).as("scripts/*.sh").hasSizeGreaterThan(2);
        Process p = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("shellcheck finished").isTrue();
        System.out.println("ScriptsTest: " + version + " on " + (cmd.size() - 2) + " scripts: exit " + p.exitValue());
        assertThat(out).as("shellcheck -x scripts/*.sh (exit %d) reported:%n%s", p.exitValue(), out).isBlank();
        assertThat(p.exitValue()).as("shellcheck's exit status").isZero();
    }

    /** shellcheck's version line, or null when it cannot be run. */
    private static String shellcheckVersion() throws InterruptedException {
        try {
            Process p = new ProcessBuilder("shellcheck", "--version").redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return null;
            }
            return out.lines().filter(l -> l.startsWith("version:")).findFirst().map(l -> "shellcheck " + l.substring(8).trim())
                    .orElse("shellcheck");
        } catch (IOException e) {
            return null;
        }
    }

    // ---- portability -----------------------------------------------------------------------------

    @Test
    void portableScriptsUseNoBash4SyntaxAndNoGnuOnlyTool() throws IOException {
        List<Path> portable = new ArrayList<>();
        for (Path p : scripts()) {
            if (!ShellPortability.linuxOnly(read(p))) {
                portable.add(p);
            }
        }
        assertThat(portable.stream().map(p -> p.getFileName().toString()))
                .as("the laptop scripts are there and not marked linux-only").containsAll(LAPTOP_SCRIPTS);
        List<String> findings = new ArrayList<>();
        for (Path p : portable) {
            ShellPortability.check("scripts/" + p.getFileName(), read(p)).forEach(f -> findings.add(f.toString()));
        }
        assertThat(findings).as("bash 3.2 / BSD tool portability of %s:%n%s",
                portable.stream().map(p -> p.getFileName().toString()).collect(Collectors.joining(", ")),
                String.join("\n", findings)).isEmpty();
    }

    /** Each line: a snippet the check must flag, and the construct it must name. */
    @Test
    void theCheckFlagsEachKnownBadConstruct() {
        String[][] bad = {
            {"mapfile -t lines < <(ls)", "mapfile"},
            {"readarray -t lines <f", "readarray"},
            {"declare -A seen=()", "declare -A"},
            {"f() { local -n ref=$1; }", "local -n"},
            {"echo \"${name,,}\"", "${name,,"},
            {"echo \"${name^^}\"", "${name^^"},
            {"case $x in a) echo a ;& b) echo b ;; esac", ";&"},
            {"case $x in a) echo a ;;& b) echo b ;; esac", ";;&"},
            {"make |& tee log", "|&"},
            {"make &>> log", "&>>"},
            {"[[ -v HOME ]] && echo set", "[[ -v"},
            {"echo \"${arr[-1]}\"", "arr[-1]"},
            {"printf -v out[1] %s x", "printf -v out["},
            {"set -u\nargs=()\nrun \"${args[@]}\"", "${args[@]}"},
            {"f() { local -a opts; cmd \"${opts[@]}\"; }", "${opts[@]}"},
            {"echo \"${@}\"", "${@}"},
            {"timeout 20 docker info >/dev/null 2>&1", "timeout"},
            {"if command -v docker >/dev/null && timeout 20 docker info; then :; fi", "timeout"},
            {"timeout 10 getent hosts \"$registry\"", "getent"},
            {"size=$(stat -c %s \"$f\")", "stat -c"},
            {"sed -i 's/a/b/' f", "sed -i"},
            {"sed -i '' 's/a/b/' f", "sed -i"},
            {"sed -r 's/(a)+/b/' f", "sed -r"},
            {"dir=$(dirname \"$(readlink -f \"$0\")\")", "readlink -f"},
            {"ns=$(date +%s%N)", "date +%s%N"},
            {"ns=$(date '+%N')", "date '+%N"},
            {"yesterday=$(date -d yesterday +%F)", "date -d"},
            {"grep -oP '\\d+' f", "grep -oP"},
            {"find . -name x -printf '%p\\n'", "-printf"},
            {"find \"$d\" -maxdepth 1 -newermt \"@$((t - 1))\"", "-newermt"},
            {"ls | xargs -r rm", "xargs -r"},
            {"sha256sum f", "sha256sum"},
            {"tac f", "tac"},
            {"n=$(nproc)", "nproc"},
            {"setsid java -jar x.jar &", "setsid"},
            {"tr '\\0' ' ' <\"/proc/$pid/cmdline\"", "/proc/"},
            {"cp --reflink=auto a b", "cp --reflink"},
            {"echo \"took $(timeout 5 x)\"", "timeout"},
            {"n=`nproc`", "nproc"},
            {"cat <<EOF\nnow: $(date +%s%N)\nEOF", "date +%s%N"},
        };
        SoftAssertions soft = new SoftAssertions();
        for (String[] b : bad) {
            List<ShellPortability.Finding> found = ShellPortability.check("bad.sh", b[0]);
            soft.assertThat(found).as("flagged in: %s", b[0]).anySatisfy(f -> assertThat(f.construct()).contains(b[1]));
        }
        soft.assertAll();
    }

    @Test
    void theCheckNamesTheLineOfACommandThatSpansSeveral() {
        String script = "#!/usr/bin/env bash\nset -eu\nfind . -type f \\\n  -name '*.sh' \\\n  -printf '%p\\n'\necho ok\n"
                + "x=\"a\nb\"; timeout 1 y\n";
        assertThat(ShellPortability.check("s.sh", script)).extracting(ShellPortability.Finding::line)
                .containsExactly(3, 8);
    }

    @Test
    void theCheckLeavesCommentsStringsHeredocsAndPortableFormsAlone() {
        String good = """
                #!/usr/bin/env bash
                # timeout 20 docker info; mapfile -t x; ${x,,}; readlink -f; sed -i; /proc/self; |& &>> ;;&
                set -euo pipefail
                . "$ROOT/scripts/lib.sh" # with_timeout instead of timeout, real_path instead of readlink -f
                say() { printf '%s\\n' "$*"; }
                say "no Docker engine answers ('docker info' took over 20 s: a timeout); mapfile, sha256sum in prose"
                echo 'single quotes: timeout 5 x; sed -i; ${x,,}'
                with_timeout 20 docker info >/dev/null 2>&1 || true
                args=()
                [[ -n ${NAME:-} ]] && args+=(--name "$NAME")
                java -jar x.jar --rollout-timeout 5 ${args[@]+"${args[@]}"}
                chmod 644 ${args[@]+"${args[@]/#/$FS}"}
                echo "${#args[@]} ${!args[*]}"
                for f in ${args[@]+"${args[@]}"}; do echo "$f"; done
                if command -v getent >/dev/null; then with_timeout 10 getent hosts x; fi
                if command -v setsid >/dev/null; then exec setsid "$@"; fi
                sed -i.bak 's/timeout/x/' f && rm -f f.bak
                sed -n 's:^  <version>\\(.*\\)</version>.*:\\1:p' pom.xml | head -1
                awk '
                  /x/ { next } # an awk comment: timeout, mapfile
                  { print; fflush() }' f
                cat <<'EOF'
                a quoted here-document: timeout 5 x, mapfile, ${x,,}, /proc/1, and it's fine
                EOF
                cat <<EOF
                an unquoted one: $(date -u +%Y-%m-%dT%H:%M:%SZ), it's prose with timeout and sha256sum in it
                EOF
                echo "$@" "$*" "${1:-}" "${x:-a b}" "$#" "${#}" "${@:2}"
                size=$(($(wc -c <f) / 1000000))
                lower=$(printf '%s' "$x" | tr '[:upper:]' '[:lower:]')
                find "$RESULTS" -maxdepth 1 -type d -newer "$since" | sort | tail -n 1
                ps -ww -p "$pid" -o command= | grep -q -F "target/local/"
                readlink "$path"
                props=(-Dx=1)
                mvn "${props[@]}"
                case $x in a) echo a ;; *) echo b ;; esac
                echo "${id:7:12} ${x: -1}" $((1 << 2))
                """;
        assertThat(ShellPortability.check("good.sh", good)).isEmpty();
    }

    @Test
    void theLinuxOnlyMarkerCountsInTheHeaderOnly() {
        assertThat(ShellPortability.linuxOnly("#!/usr/bin/env bash\n# Builds static binaries.\n# linux-only: static ELF\nset -e\n"))
                .isTrue();
        assertThat(ShellPortability.linuxOnly("#!/usr/bin/env bash\n# linux-only\nset -e\n")).isTrue();
        assertThat(ShellPortability.linuxOnly("#!/usr/bin/env bash\n# Runs anywhere.\nset -e\n# linux-only\n")).isFalse();
        assertThat(ShellPortability.linuxOnly("#!/usr/bin/env bash\n# not linux-only at all\nset -e\n")).isFalse();
    }
}
