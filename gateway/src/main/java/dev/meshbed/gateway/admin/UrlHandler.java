package dev.meshbed.gateway.admin;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import java.io.IOException;

/** One path of a status or admin listener (Envoy's admin "URL handler"): a GET answered in full. */
@FunctionalInterface
interface UrlHandler {

    FullHttpResponse handle(ByteBufAllocator alloc) throws IOException;
}
