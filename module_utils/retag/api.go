package retag

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// APIError is an unexpected answer of Docker Hub's or quay's API.
type APIError struct {
	Method string
	URL    string
	Status int
	Body   string // the start of the answer
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.Status, http.StatusText(e.Status))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

const maxAPIAnswer = 8 << 20

// call sends req with the given Authorization (if any) and reads the
// answer. 404 is ErrNotFound (wrapping the *APIError); other answers not
// in want are *APIError.
func call(ctx context.Context, c *http.Client, req *http.Request, authorization string, want ...int) ([]byte, error) {
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %w", req.Method, req.URL.Redacted(), err)
	}
	if len(body) > maxAPIAnswer {
		return nil, fmt.Errorf("%s %s: answer larger than %d bytes", req.Method, req.URL.Redacted(), maxAPIAnswer)
	}
	for _, w := range want {
		if resp.StatusCode == w {
			return body, nil
		}
	}
	e := &APIError{Method: req.Method, URL: req.URL.Redacted(), Status: resp.StatusCode, Body: snippet(body)}
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("%w: %w", ErrNotFound, e)
	}
	return nil, e
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
