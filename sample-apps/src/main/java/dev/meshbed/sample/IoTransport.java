package dev.meshbed.sample;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/** The I/O transport: epoll where the native library loads (Linux), NIO elsewhere. */
record IoTransport(IoHandlerFactory ioHandlerFactory, Class<? extends ServerChannel> serverChannelClass) {

    static IoTransport best() {
        if (Epoll.isAvailable()) {
            return new IoTransport(EpollIoHandler.newFactory(), EpollServerSocketChannel.class);
        }
        return new IoTransport(NioIoHandler.newFactory(), NioServerSocketChannel.class);
    }
}
