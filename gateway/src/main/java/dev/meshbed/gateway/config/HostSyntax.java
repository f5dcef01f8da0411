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

    /** Istio's first label of a host: {@code *}, or a label optionally led by {@code *} or {@code *-}. */
    private static final Pattern WILDCARD_LABEL =
            Pattern.compile("\\*|(\\*|\\*-)?[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?");
    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
    private static final Pattern LABEL_KEY = Pattern.compile(
            "([A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*/)?"
            + "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");

    private HostSyntax() {
    }

    /**
     * Istio's rule for hosts of VirtualServices, DestinationRules and ServiceEntries: 1..255
     * characters; the first label {@code *}, a DNS label, or one led by {@code *} or {@code *-}
     * ({@code *x} is a valid Istio host); the other labels DNS labels, a trailing dot allowed;
     * the last label not all digits.
     */
    static boolean isIstioHost(String s) {
        if (s == null || s.isEmpty() || s.length() > 255) {
            return false;
        }
        int dot = s.indexOf('.');
        String first = dot < 0 ? s : s.substring(0, dot);
        if (first.length() > 63 || !WILDCARD_LABEL.matcher(first).matches()) {
            return false;
        }
        return dot < 0 || isFqdnLabels(s.substring(dot + 1));
    }

    /** Istio's FQDN rule: DNS labels (a trailing dot allowed), the last one not all digits. */
    static boolean isFqdn(String s) {
        return s != null && !s.isEmpty() && s.length() <= 255 && isFqdnLabels(s);
    }

    private static boolean isFqdnLabels(String s) {
        String[] labels = s.split("\\.", -1);
        String top = labels[labels.length - 1];
        if (!top.isEmpty() && top.chars().allMatch(c -> c >= '0' && c <= '9') && top.length() < 19) {
            return false;
        }
        for (int i = 0; i < labels.length; i++) {
            if (i == labels.length - 1 && labels[i].isEmpty()) {
                return true;
            }
            if (!isDnsLabel(labels[i])) {
                return false;
            }
        }
        return true;
    }

    /** A wildcard anywhere but as the whole host or a leading {@code *.}: Istio rejects it in Gateway hosts. */
    static boolean isPartialWildcard(String s) {
        return s.contains("*") && s.length() != 1 && !s.startsWith("*.");
    }

    /** An IP address or a CIDR block ({@code 10.0.0.0/8}, {@code 2001:db8::/32}). */
    static boolean isIpOrCidr(String s) {
        if (s == null) {
            return false;
        }
        int slash = s.indexOf('/');
        if (slash < 0) {
            return isIpAddress(s);
        }
        String address = s.substring(0, slash);
        String bits = s.substring(slash + 1);
        if (bits.isEmpty() || bits.length() > 3 || !bits.chars().allMatch(c -> c >= '0' && c <= '9')
                || (bits.length() > 1 && bits.charAt(0) == '0')) {
            return false;
        }
        int prefix = Integer.parseInt(bits);
        return (isIpv4(address) && prefix <= 32) || (isIpv6(address) && prefix <= 128);
    }

    /** A Kubernetes label key: an optional DNS-name prefix and {@code /}, then a name of at most 63 characters. */
    static boolean isLabelKey(String s) {
        if (s == null || !LABEL_KEY.matcher(s).matches()) {
            return false;
        }
        int slash = s.indexOf('/');
        return s.length() - slash - 1 <= 63 && slash <= 253;
    }

    /** A Kubernetes label value: empty, or up to 63 of {@code [-A-Za-z0-9_.]} starting and ending alphanumeric. */
    static boolean isLabelValue(String s) {
        return s != null && s.length() <= 63 && (s.isEmpty() || LABEL_VALUE.matcher(s).matches());
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
