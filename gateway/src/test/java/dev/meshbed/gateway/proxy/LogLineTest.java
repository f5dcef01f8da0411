package dev.meshbed.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LogLineTest {

    @Test
    void formatsTextNumbersAndTimestampsAsBytes() {
        LogLine l = new LogLine(4);
        l.ch('[').timestamp(1_795_000_000_123L).ch(']').ch(' ').number(0).ch(' ').number(-42).ch(' ')
                .number(Long.MAX_VALUE).ch(' ').text(null).ch(' ').text("").ch(' ').text("GET /x");
        assertThat(l.toString()).isEqualTo(
                "[2026-11-18T11:06:40.123Z] 0 -42 9223372036854775807 - - GET /x");
    }

    @Test
    void requestBytesDecodedAsLatin1GoBackOutUnchanged() {
        // Netty hands "/x?y=ü" (UTF-8 on the wire) to us as the Latin-1 chars Ã and ¼
        String asDecoded = new String("/x?y=ü".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        LogLine l = new LogLine(64);
        l.text(asDecoded).ch(' ').text("snowman \u2603");
        assertThat(new String(l.take(), StandardCharsets.UTF_8)).isEqualTo("/x?y=ü snowman \u2603");
        assertThat(l.length()).isZero();
    }

    @Test
    void requestIdsAreVersion4Uuids() {
        for (int i = 0; i < 100; i++) {
            assertThat(RequestIds.next().toString())
                    .matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        }
    }
}
