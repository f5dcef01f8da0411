package dev.meshbed.gateway.it;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One access log line, in the gateway's (Istio's default) order:
 * {@code [START] "METHOD URI PROTOCOL" CODE FLAGS RX TX MS "UA" "REQUEST_ID" "AUTHORITY" "UPSTREAM" CLUSTER ROUTE REMOTE}.
 */
record AccessLogLine(String method, String uri, String protocol, int status, String flag, long bytesReceived,
        long bytesSent, long durationMillis, String userAgent, String requestId, String authority,
        String upstreamHost, String cluster, String route, String remote, String text) {

    private static final Pattern LINE = Pattern.compile("^\\[(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z)] "
            + "\"(\\S+) (\\S+) (\\S+)\" (\\d{1,3}) (\\S+) (\\d+) (\\d+) (\\d+) "
            + "\"([^\"]*)\" \"([^\"]*)\" \"([^\"]*)\" \"([^\"]*)\" (\\S+) (\\S+) (\\S+)$");

    static AccessLogLine parse(String line) {
        Matcher m = LINE.matcher(line);
        if (!m.matches()) {
            throw new AssertionError("access log line does not have the documented format: " + line);
        }
        return new AccessLogLine(m.group(2), m.group(3), m.group(4), Integer.parseInt(m.group(5)), m.group(6),
                Long.parseLong(m.group(7)), Long.parseLong(m.group(8)), Long.parseLong(m.group(9)), m.group(10),
                m.group(11), m.group(12), m.group(13), m.group(14), m.group(15), m.group(16), line);
    }

    @Override
    public String toString() {
        return text;
    }
}
