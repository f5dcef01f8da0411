package dev.meshbed.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class InOrderQueueTest {

    @Test
    void holdsEverythingBackUntilTheFirstIsFilled() {
        InOrderQueue<String> queue = new InOrderQueue<>();
        InOrderQueue.Slot<String> first = queue.reserve();
        InOrderQueue.Slot<String> second = queue.reserve();
        InOrderQueue.Slot<String> third = queue.reserve();

        queue.fill(third, "c");
        queue.fill(second, "b");
        assertThat(queue.pollReady()).isNull();
        queue.fill(first, "a");

        assertThat(queue.pollReady()).isEqualTo("a");
        assertThat(queue.pollReady()).isEqualTo("b");
        assertThat(queue.pollReady()).isEqualTo("c");
        assertThat(queue.pollReady()).isNull();
        assertThat(queue.waiting()).isZero();
    }

    @Test
    void stopsAtTheFirstGap() {
        InOrderQueue<String> queue = new InOrderQueue<>();
        InOrderQueue.Slot<String> first = queue.reserve();
        queue.reserve();
        InOrderQueue.Slot<String> third = queue.reserve();
        queue.fill(first, "a");
        queue.fill(third, "c");

        assertThat(queue.pollReady()).isEqualTo("a");
        assertThat(queue.pollReady()).isNull();
        assertThat(queue.waiting()).isEqualTo(2);
    }

    @Test
    void aSlotIsFilledOnce() {
        InOrderQueue<String> queue = new InOrderQueue<>();
        InOrderQueue.Slot<String> slot = queue.reserve();
        queue.fill(slot, "a");

        assertThatThrownBy(() -> queue.fill(slot, "again")).isInstanceOf(IllegalStateException.class);
    }
}
