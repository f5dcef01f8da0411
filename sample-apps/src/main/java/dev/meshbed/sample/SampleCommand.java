package dev.meshbed.sample;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.ToIntFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The command line of the sample app. Options are taken as text and validated here rather than by
 * picocli's converters, so that a bad flag and a bad environment variable get the same one-line
 * message.
 */
@Command(
        name = "sample-app",
        description = "An HTTP service that reports its version and instance, run as v1 and v2 behind the gateway.",
        sortOptions = false)
final class SampleCommand implements Callable<Integer> {

    static final int EXIT_USAGE = 2;

    // No mixinStandardHelpOptions: its --version would take the option that names our version.
    @Option(names = "--version", paramLabel = "VERSION",
            description = "Version this instance reports (env VERSION, default v1).")
    private String version;

    @Option(names = "--port", paramLabel = "PORT",
            description = "Port to listen on, 0 for a free one (env PORT, default 8080).")
    private String port;

    @Option(names = "--bind", paramLabel = "ADDRESS",
            description = "Address to listen on (env BIND, default 0.0.0.0).")
    private String bind;

    @Option(names = "--instance", paramLabel = "NAME",
            description = "Instance name reported (env POD_NAME, else HOSTNAME, else sample-<version>-<port>).")
    private String instance;

    @Option(names = "--latency", paramLabel = "DURATION",
            description = "Added to each response except /healthz, like 50ms or 1.5s (env LATENCY, default 0).")
    private String latency;

    @Option(names = "--error-rate", paramLabel = "RATE",
            description = "Probability in [0,1] of answering 503 instead (env ERROR_RATE, default 0).")
    private String errorRate;

    @Option(names = "--drain-duration", paramLabel = "DURATION",
            description = "On SIGTERM, serve on this long with 'connection: close' on every response, then stop "
                    + "(default: 5s, or DRAIN_DURATION).")
    private String drain;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Spec
    private CommandSpec spec;

    private final FlagOrEnvironment settings;
    private final ToIntFunction<SampleConfig> serve;

    /** @param serve runs the app with the resolved configuration and returns its exit code */
    SampleCommand(Map<String, String> environment, ToIntFunction<SampleConfig> serve) {
        this.settings = new FlagOrEnvironment(environment);
        this.serve = requireNonNull(serve, "serve");
    }

    @Override
    public Integer call() {
        SampleConfig config;
        try {
            config = config();
        } catch (InvalidOptionException e) {
            spec.commandLine().getErr().println(e.getMessage());
            return EXIT_USAGE;
        }
        return serve.applyAsInt(config);
    }

    /** @throws InvalidOptionException for the first option whose value the app cannot run with */
    SampleConfig config() {
        String resolvedVersion = settings.read("--version", version, "VERSION", "v1", OptionType.VERSION);
        int resolvedPort = settings.read("--port", port, "PORT", "8080", OptionType.PORT);
        return new SampleConfig(
                resolvedVersion,
                settings.read("--bind", bind, "BIND", "0.0.0.0", OptionType.BIND),
                resolvedPort,
                settings.readOptional("--instance", instance, OptionType.INSTANCE, "POD_NAME", "HOSTNAME"),
                settings.read("--latency", latency, "LATENCY", "0", OptionType.LATENCY),
                settings.read("--error-rate", errorRate, "ERROR_RATE", "0", OptionType.ERROR_RATE),
                settings.read("--drain-duration", drain, "DRAIN_DURATION", "5s", OptionType.LATENCY));
    }
}
