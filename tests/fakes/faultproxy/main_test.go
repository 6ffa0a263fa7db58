package main

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// upstream answers 200 with the Host it saw, and a Location built from it,
// as a registry does.
func upstream(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Location", "http://"+r.Host+"/v2/x/blobs/uploads/1")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(r.Method + " " + r.URL.Path + " " + string(body)))
	}))
	t.Cleanup(s.Close)
	return s
}

func proxyFor(t *testing.T, c config) *httptest.Server {
	t.Helper()
	c.Listen = "127.0.0.1:0"
	h, err := newHandler(c, log.New(io.Discard, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func do(t *testing.T, method, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader("payload"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestFailThenForward(t *testing.T) {
	up := upstream(t)
	p := proxyFor(t, config{Upstream: up.URL, Fail: 2, Status: 429, RetryAfter: 1})
	for i := 0; i < 2; i++ {
		resp, _ := do(t, "GET", p.URL+"/v2/")
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
			t.Fatalf("request %d: %d, Retry-After %q; want 429 and 1", i, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	resp, body := do(t, "PATCH", p.URL+"/v2/x/blobs/uploads/1")
	if resp.StatusCode != http.StatusAccepted || body != "PATCH /v2/x/blobs/uploads/1 payload" {
		t.Fatalf("after the faults: %d %q", resp.StatusCode, body)
	}
	// The registry saw the proxy's host, so Location points back at it.
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, p.URL+"/") {
		t.Fatalf("Location %q does not point at the proxy %s", loc, p.URL)
	}
}

func TestFailForeverOnlyMethods(t *testing.T) {
	up := upstream(t)
	p := proxyFor(t, config{Upstream: up.URL, Fail: -1, FailMethods: []string{"DELETE"}, Status: 500})
	for i := 0; i < 5; i++ {
		if resp, _ := do(t, "DELETE", p.URL+"/v2/x/manifests/sha256:0"); resp.StatusCode != 500 {
			t.Fatalf("DELETE %d: %d, want 500", i, resp.StatusCode)
		}
	}
	if resp, _ := do(t, "GET", p.URL+"/v2/"); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("GET: %d, want it forwarded", resp.StatusCode)
	}
}

func TestRefuseThenListen(t *testing.T) {
	up := upstream(t)
	// A free port, then released for the proxy to take later.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	errc := make(chan error, 1)
	go func() {
		errc <- run(config{Listen: addr, Upstream: up.URL, ListenAfter: 500 * time.Millisecond,
			Status: 503, Lifetime: 3 * time.Second})
	}()
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatal("connected before -listen-after")
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				t.Fatalf("status %d", resp.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never listened: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := <-errc; err != nil {
		t.Fatalf("run after its lifetime: %v", err)
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	for _, a := range []string{"0.0.0.0:1", "[::]:1", "192.0.2.1:1", "localhost:1"} {
		if err := checkLoopback(a); err == nil {
			t.Errorf("%s accepted", a)
		}
	}
	for _, a := range []string{"127.0.0.1:1", "[::1]:1"} {
		if err := checkLoopback(a); err != nil {
			t.Errorf("%s: %v", a, err)
		}
	}
}
