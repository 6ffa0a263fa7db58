package imagecopy

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// StatusError is an answer of a registry the copy could not use.
type StatusError struct {
	Registry   string // host[:port] that answered
	Method     string
	Path       string // of the request's URL
	StatusCode int
	Detail     string // the registry's error codes and messages, if any
	// Attempts is how many times in a row the registry gave this answer
	// before the copy gave up (1 when the answer is not worth retrying).
	Attempts int
	// Tries is how many times the request was sent in all.
	Tries int
}

func (e *StatusError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "registry %s answered %d %s", e.Registry, e.StatusCode, http.StatusText(e.StatusCode))
	switch {
	case e.Attempts > 1 && e.Attempts == e.Tries:
		fmt.Fprintf(&b, " %d times", e.Attempts)
	case e.Tries > 1:
		fmt.Fprintf(&b, " %d times out of %d tries", max(e.Attempts, 1), e.Tries)
	}
	fmt.Fprintf(&b, " to %s %s", e.Method, e.Path)
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// Temporary reports whether the answer is worth retrying: a 5xx (but 501
// and 505) or a 429.
func (e *StatusError) Temporary() bool { return retryableStatus(e.StatusCode) }

// ConnectionError is a registry that could not be talked to: refused or
// reset connections, answers cut short, timeouts.
type ConnectionError struct {
	Registry string
	Tries    int
	Err      error
}

func (e *ConnectionError) Error() string {
	if e.Tries > 1 {
		return fmt.Sprintf("registry %s failed %d times: %v", e.Registry, e.Tries, e.Err)
	}
	return fmt.Sprintf("registry %s: %v", e.Registry, e.Err)
}

func (e *ConnectionError) Unwrap() error { return e.Err }

// newStatusError reads what the registry said about a failed request.
func newStatusError(resp *http.Response, body []byte) *StatusError {
	e := &StatusError{
		Registry:   resp.Request.URL.Host,
		Method:     resp.Request.Method,
		Path:       resp.Request.URL.Path,
		StatusCode: resp.StatusCode,
		Attempts:   1,
		Tries:      1,
	}
	e.Detail = detail(body)
	return e
}

// fromTransport turns go-containerregistry's error (the ping and the token
// exchange) into a StatusError.
func fromTransport(te *transport.Error) *StatusError {
	e := &StatusError{StatusCode: te.StatusCode, Attempts: 1, Tries: 1}
	if te.Request != nil {
		e.Registry = te.Request.URL.Host
		e.Method = te.Request.Method
		e.Path = te.Request.URL.Path
	}
	var parts []string
	for _, d := range te.Errors {
		parts = append(parts, d.String())
	}
	e.Detail = strings.Join(parts, "; ")
	return e
}

// statusError finds the StatusError in err, converting go-containerregistry's.
func statusError(err error) (*StatusError, bool) {
	var se *StatusError
	if errors.As(err, &se) {
		return se, true
	}
	var te *transport.Error
	if errors.As(err, &te) {
		return fromTransport(te), true
	}
	return nil, false
}

// detail condenses an error body: the distribution spec's error list, or
// the first line of anything else.
func detail(body []byte) string {
	var doc struct {
		Errors []transport.Diagnostic `json:"errors"`
	}
	if err := json.Unmarshal(body, &doc); err == nil && len(doc.Errors) > 0 {
		parts := make([]string, 0, len(doc.Errors))
		for _, d := range doc.Errors {
			s := string(d.Code)
			if d.Message != "" {
				s += ": " + d.Message
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, "; ")
	}
	s := strings.TrimSpace(string(body))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// hostOf is the host a failed request went to, if err says.
func hostOf(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			return u.Host
		}
	}
	return ""
}
