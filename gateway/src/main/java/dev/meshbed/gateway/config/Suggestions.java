package dev.meshbed.gateway.config;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/** Finds the known name an unknown one was probably meant to be ({@code wieght} → {@code weight}). */
final class Suggestions {

    private Suggestions() {
    }

    /**
     * The closest candidate within an edit distance that still looks like a typo (1 for short
     * names, 2 from five characters on); case differences alone count as a typo. Ties go to the
     * first candidate.
     */
    static Optional<String> closest(String unknown, Collection<String> candidates) {
        String lower = unknown.toLowerCase(Locale.ROOT);
        int limit = unknown.length() >= 5 ? 2 : 1;
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : candidates) {
            int distance = distance(lower, candidate.toLowerCase(Locale.ROOT));
            if (distance <= limit && distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return Optional.ofNullable(best);
    }

    /** Optimal string alignment distance: Levenshtein plus transposition of neighbours (wieght). */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
