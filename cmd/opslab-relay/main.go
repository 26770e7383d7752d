// Command opslab-relay forwards connections from a unix socket to a TCP
// address. The container sandbox driver mounts it, read-only, into a Kafka
// sandbox container that has no network at all: the broker listens on the
// container's own loopback, the relay makes it reachable through a socket
// in the sandbox's mounted directory, and nothing else gets in or out.
//
//	opslab-relay -listen /run/opslab/kafka.sock -to 127.0.0.1:19092
//
// It is built static (CGO_ENABLED=0) so that it runs in any image.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

func main() {
	listen := flag.String("listen", "", "unix socket path to listen on")
	to := flag.String("to", "", "TCP address to forward each connection to")
	flag.Parse()
	if *listen == "" || *to == "" {
		fmt.Fprintln(os.Stderr, "usage: opslab-relay -listen SOCKET -to HOST:PORT")
		os.Exit(2)
	}
	_ = os.Remove(*listen)
	l, err := net.Listen("unix", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "opslab-relay: listen on %s: %v\n", *listen, err)
		os.Exit(1)
	}
	for {
		c, err := l.Accept()
		if err != nil {
			fmt.Fprintf(os.Stderr, "opslab-relay: accept: %v\n", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go forward(c, *to)
	}
}

// forward copies bytes both ways between c and a new connection to addr,
// until either side closes.
func forward(c net.Conn, addr string) {
	defer c.Close()
	up, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return // the broker is not up yet: the client sees a closed connection and retries
	}
	defer up.Close()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _, _ = io.Copy(up, c); closeWrite(up) }()
	go func() { defer wg.Done(); _, _ = io.Copy(c, up); closeWrite(c) }()
	wg.Wait()
}

// closeWrite half-closes c when it can, so the other side sees EOF.
func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
}
