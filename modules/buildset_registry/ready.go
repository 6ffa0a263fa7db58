package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/gating/containers/module_utils/registryd"
)

// probeAddress is where the module checks the registry: its first listen
// address, or 127.0.0.1 for an unspecified one (:: or 0.0.0.0).
func (d *deployment) probeAddress() string {
	ip, err := registryd.ParseListen(d.p.Listen[0])
	if err != nil || ip.IsUnspecified() {
		ip = netip.MustParseAddr("127.0.0.1")
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(d.p.Port))
}

// waitReady waits until https://<probe address>/v2/ answers 401, as a
// consumer trusting only the CA and naming the host sees it, or until
// ctx ends or alive reports the registry dead; the error then quotes the
// registry's last output.
func (d *deployment) waitReady(ctx context.Context, ca []byte, alive func() error) error {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return errors.New("the registry's CA certificate is not PEM")
	}
	client := &http.Client{
		// Short: a process that died is noticed between two tries.
		Timeout: 2 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: pool, ServerName: d.host, MinVersion: tls.VersionTLS12},
			DisableKeepAlives: true,
			Proxy:             nil, // a proxy from the environment must not answer for the registry
		},
	}
	url := "https://" + d.probeAddress() + "/v2/"
	var last error
	for {
		if err := alive(); err != nil {
			return fmt.Errorf("%w before %s answered%s", err, url, d.rt.logs(ctx))
		}
		last = probe(ctx, client, url)
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the registry did not answer %s with 401 within %ds: %w%s",
				url, d.p.Timeout, last, d.rt.logs(context.Background()))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// probe asks url once; a 401 (the challenge of a registry with auth) is
// the one good answer.
func probe(ctx context.Context, c *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}
