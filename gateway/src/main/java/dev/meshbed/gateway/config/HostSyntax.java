package dev.meshbed.gateway.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** Syntax of the names Istio resources use: DNS labels and names, wildcards, IP addresses. */
final class HostSyntax {

    /** RFC 1123 label; Istio lowercases hosts before matching, so upper case is accepted too. */
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern IPV4 = Pattern.compile(
            "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");

    private HostSyntax() {
    }

    static boolean isDnsLabel(String s) {
        return s != null && LABEL.matcher(s).matches();
    }

    /** One or more labels separated by dots, at most 253 characters (a short name is one label). */
    static boolean isDnsName(String s) {
        if (s == null || s.isEmpty() || s.length() > 253) {
            return false;
        }
        for (String label : s.split("\\.", -1)) {
            if (!isDnsLabel(label)) {
                return false;
            }
        }
        return true;
    }

    /** {@code *}, {@code *.suffix} or a DNS name. */
    static boolean isWildcardOrDnsName(String s) {
        return s != null && (s.equals("*") || (s.startsWith("*.") && isDnsName(s.substring(2))) || isDnsName(s));
    }

    static boolean isIpAddress(String s) {
        return isIpv4(s) || isIpv6(s);
    }

    static boolean isIpv4(String s) {
        return s != null && IPV4.matcher(s).matches();
    }

    /**
     * An IPv6 literal. {@link InetAddress#getByName} parses literals without a lookup when they
     * start with a hex digit or a colon and contain a colon, which the pre-check guarantees.
     */
    static boolean isIpv6(String s) {
        if (s == null || !s.contains(":") || !IPV6_CHARS.matcher(s).matches() || s.startsWith(".")) {
            return false;
        }
        try {
            InetAddress.getByName(s);
            return true;
        } catch (UnknownHostException | IllegalArgumentException e) {
            return false;
        }
    }
}
