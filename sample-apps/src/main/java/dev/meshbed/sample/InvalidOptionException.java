package dev.meshbed.sample;

/** A flag or environment variable with a value the app cannot run with; the message is the one line shown. */
final class InvalidOptionException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    InvalidOptionException(String message) {
        super(message);
    }
}
