package dev.meshbed.sample;

import static java.util.Objects.requireNonNull;

import java.util.ArrayDeque;

/**
 * Hands out values in the order their slots were reserved, however they are filled: a pipelined
 * {@code /healthz} (no latency) must not overtake a delayed request before it. Not thread-safe:
 * one connection, one event loop.
 */
final class InOrderQueue<T> {

    /** A place in line, filled once. */
    static final class Slot<T> {
        private T value;
    }

    private final ArrayDeque<Slot<T>> slots = new ArrayDeque<>();

    Slot<T> reserve() {
        Slot<T> slot = new Slot<>();
        slots.addLast(slot);
        return slot;
    }

    void fill(Slot<T> slot, T value) {
        requireNonNull(slot, "slot");
        requireNonNull(value, "value");
        if (slot.value != null) {
            throw new IllegalStateException("slot filled twice");
        }
        slot.value = value;
    }

    /** The first value in line if its slot is filled, else {@code null}. */
    T pollReady() {
        Slot<T> first = slots.peekFirst();
        if (first == null || first.value == null) {
            return null;
        }
        slots.removeFirst();
        return first.value;
    }

    int waiting() {
        return slots.size();
    }
}
