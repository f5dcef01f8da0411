package dev.meshbed.sample;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.Map;
import java.util.function.ToIntFunction;
import picocli.CommandLine;

/** Runs the sample app from the command line until SIGTERM. */
public final class SampleApp {

    private SampleApp() {
    }

    public static void main(String[] args) {
        int exitCode = execute(args, System.getenv(), SampleApp::serve,
                new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        // Only on failure: after SIGTERM the JVM is already exiting, and System.exit would then block.
        if (exitCode != 0) {
            System.exit(exitCode);
        }
    }

    /** Parses {@code args} against {@code environment} and hands the configuration to {@code serve}. */
    static int execute(String[] args, Map<String, String> environment, ToIntFunction<SampleConfig> serve,
            PrintWriter out, PrintWriter err) {
        return new CommandLine(new SampleCommand(environment, serve))
                .setOut(out)
                .setErr(err)
                .setParameterExceptionHandler((e, ignored) -> {
                    e.getCommandLine().getErr().println(e.getMessage());
                    return SampleCommand.EXIT_USAGE;
                })
                .execute(args);
    }

    private static int serve(SampleConfig config) {
        SampleServer server;
        try {
            server = SampleServer.start(config);
        } catch (IOException e) {
            System.err.println("sample-app: " + e.getMessage());
            return 1;
        }
        String name = "sample-app " + config.version() + " (instance " + server.instance() + ")";
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.drain(config.drain()); // a rolling restart loses nothing: see SampleServer.drain
            // Tells whoever reads the pod's log that it stopped cleanly rather than being killed.
            System.out.println(name + " stopped");
        }, "sample-app-shutdown"));
        System.out.println(name + " listening on " + hostAndPort(config.bind(), server.port()));
        server.awaitTermination();
        return 0;
    }

    // The address as configured: epoll reports a 0.0.0.0 listener as the IPv6 wildcard.
    private static String hostAndPort(String bind, int port) {
        return (bind.contains(":") ? "[" + bind + "]" : bind) + ":" + port;
    }
}
