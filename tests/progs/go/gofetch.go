// gofetch - a Go program (CGO_ENABLED=0: Go's own resolver and raw system
// calls) for the engine tests: fetch URL N times at once (default 1), print
// the body once; on stderr "peer ADDR", the RemoteAddr of a connection (Go
// takes it from getpeername(), so it shows what the engine reports).
//
//	gofetch URL [N]
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gofetch URL [N]")
		os.Exit(2)
	}
	n := 1
	if len(os.Args) > 2 {
		n, _ = strconv.Atoi(os.Args[2])
	}
	var mu sync.Mutex
	peer := ""
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: 20 * time.Second}
		c, err := d.DialContext(ctx, network, addr)
		if err == nil {
			mu.Lock()
			peer = c.RemoteAddr().String()
			mu.Unlock()
		}
		return c, err
	}
	client := &http.Client{
		Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true},
		Timeout:   25 * time.Second,
	}
	bodies := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, err := client.Get(os.Args[1])
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err == nil && resp.StatusCode != 200 {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
			bodies[i], errs[i] = string(b), err
		}(i)
	}
	wg.Wait()
	failed := 0
	for i := 0; i < n; i++ {
		if errs[i] != nil {
			fmt.Fprintln(os.Stderr, "fetch", i, errs[i])
			failed++
		} else if bodies[i] != bodies[0] {
			fmt.Fprintln(os.Stderr, "fetch", i, "got another body")
			failed++
		}
	}
	fmt.Fprintln(os.Stderr, "peer", peer)
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "%d of %d fetches failed\n", failed, n)
		os.Exit(1)
	}
	fmt.Print(bodies[0])
}
