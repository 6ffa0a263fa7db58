package imagecopy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// blobStats counts what happened to the blobs of a copy.
type blobStats struct {
	uploaded, mounted, existing atomic.Int64
	bytes                       atomic.Int64
}

// copyBlob makes the destination repository hold the blob d: nothing if
// it has it, a mount when mountFrom (a repository of the same registry)
// is given and the registry agrees, an upload streamed from the source
// otherwise. The whole sequence is retried.
func copyBlob(ctx context.Context, src, dst *session, d v1.Descriptor, mountFrom string, st *blobStats) error {
	return dst.retry.do(ctx, dst.repo.RegistryStr(), func(ctx context.Context) error {
		exists, err := dst.hasBlob(ctx, d.Digest)
		if err != nil || exists {
			if exists {
				st.existing.Add(1)
			}
			return err
		}
		location, mounted, err := dst.startUpload(ctx, d.Digest, mountFrom)
		if err != nil || mounted {
			if mounted {
				st.mounted.Add(1)
			}
			return err
		}
		body, err := src.getBlob(ctx, d)
		if err != nil {
			return err
		}
		defer body.Close()
		if err := dst.finishUpload(ctx, location, d, body); err != nil {
			return err
		}
		st.uploaded.Add(1)
		st.bytes.Add(d.Size)
		return nil
	})
}

// hasBlob asks whether the repository holds the blob.
func (s *session) hasBlob(ctx context.Context, h v1.Hash) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, s.url("blobs/"+h.String(), nil), nil)
	if err != nil {
		return false, err
	}
	resp, err := s.send(req, http.StatusOK, http.StatusNotFound)
	if err != nil {
		return false, err
	}
	discard(resp)
	return resp.StatusCode == http.StatusOK, nil
}

// startUpload opens an upload session, first asking for a mount from
// mountFrom when given. A refused mount falls back to an upload.
func (s *session) startUpload(ctx context.Context, h v1.Hash, mountFrom string) (location string, mounted bool, err error) {
	if mountFrom != "" {
		location, mounted, err = s.postUpload(ctx, url.Values{"mount": {h.String()}, "from": {mountFrom}})
		var se *StatusError
		if err == nil || !errors.As(err, &se) || se.Temporary() {
			return location, mounted, err
		}
		// a registry that will not mount (401, 403, 404, 405...): upload
	}
	return s.postUpload(ctx, nil)
}

func (s *session) postUpload(ctx context.Context, query url.Values) (string, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url("blobs/uploads/", query), nil)
	if err != nil {
		return "", false, err
	}
	resp, err := s.send(req, http.StatusCreated, http.StatusAccepted)
	if err != nil {
		return "", false, err
	}
	discard(resp)
	if resp.StatusCode == http.StatusCreated {
		return "", true, nil
	}
	loc, err := location(resp)
	return loc, false, err
}

// location resolves the Location of an upload answer.
func location(resp *http.Response) (string, error) {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", fmt.Errorf("registry %s started an upload without a Location", resp.Request.URL.Host)
	}
	u, err := resp.Request.URL.Parse(loc)
	if err != nil {
		return "", fmt.Errorf("registry %s: upload Location %q: %w", resp.Request.URL.Host, loc, err)
	}
	return u.String(), nil
}

// getBlob opens the blob's content for reading.
func (s *session) getBlob(ctx context.Context, d v1.Descriptor) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url("blobs/"+d.Digest.String(), nil), nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.send(req, http.StatusOK)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength >= 0 && resp.ContentLength != d.Size {
		resp.Body.Close()
		return nil, fmt.Errorf("registry %s serves blob %s with %d bytes, the manifest says %d",
			resp.Request.URL.Host, d.Digest, resp.ContentLength, d.Size)
	}
	return resp.Body, nil
}

// finishUpload streams body (d.Size bytes) into the upload at location
// and commits it under d's digest, in one PUT.
func (s *session) finishUpload(ctx context.Context, location string, d v1.Descriptor, body io.Reader) error {
	u, err := url.Parse(location)
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("digest", d.Digest.String())
	u.RawQuery = q.Encode()
	if d.Size == 0 {
		body = http.NoBody // a zero length with a body would be sent chunked
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u.String(), body)
	if err != nil {
		return err
	}
	req.ContentLength = d.Size
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := s.send(req, http.StatusCreated, http.StatusNoContent, http.StatusAccepted)
	if err != nil {
		return err
	}
	discard(resp)
	return nil
}
