package manifest

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/gating/containers/module_utils/registry/reference"
)

// The image configuration media types ConfigIdentity understands.
const (
	MediaTypeDockerConfig = "application/vnd.docker.container.image.v1+json"
	MediaTypeOCIConfig    = "application/vnd.oci.image.config.v1+json"
)

// MaxConfigSize bounds the configurations ConfigIdentity reads; larger
// ones are identified by digest.
const MaxConfigSize = 1 << 20

// ociConfig is the part of an image configuration that an OCI image
// configuration (image-spec 1.1) holds: what survives the conversion of a
// Docker configuration by skopeo, buildah or containerd, which unmarshal it
// into the OCI structure and marshal it again.
type ociConfig struct {
	Created      *string   `json:"created,omitempty"`
	Author       string    `json:"author,omitempty"`
	Architecture string    `json:"architecture"`
	Variant      string    `json:"variant,omitempty"`
	OS           string    `json:"os"`
	OSVersion    string    `json:"os.version,omitempty"`
	OSFeatures   []string  `json:"os.features,omitempty"`
	Config       runConfig `json:"config"`
	RootFS       struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
	History []struct {
		Created    *string `json:"created,omitempty"`
		CreatedBy  string  `json:"created_by,omitempty"`
		Author     string  `json:"author,omitempty"`
		Comment    string  `json:"comment,omitempty"`
		EmptyLayer bool    `json:"empty_layer,omitempty"`
	} `json:"history,omitempty"`
}

type runConfig struct {
	User         string              `json:"User,omitempty"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	Env          []string            `json:"Env,omitempty"`
	Entrypoint   []string            `json:"Entrypoint,omitempty"`
	Cmd          []string            `json:"Cmd,omitempty"`
	Volumes      map[string]struct{} `json:"Volumes,omitempty"`
	WorkingDir   string              `json:"WorkingDir,omitempty"`
	Labels       map[string]string   `json:"Labels,omitempty"`
	StopSignal   string              `json:"StopSignal,omitempty"`
}

// ConfigIdentity returns a digest of the OCI-visible content of an image
// configuration of the Docker or OCI media type, with timestamps in one
// format: equal for a configuration and its conversion to the other
// format, different as soon as anything an OCI client sees differs (the
// command, the environment, the labels, the layers' diff IDs, the
// history...). Fields only Docker has (such as Healthcheck) do not count.
// It reports false for other media types and for content that is not such
// a configuration.
func ConfigIdentity(mediaType string, config []byte) (string, bool) {
	if (mediaType != MediaTypeDockerConfig && mediaType != MediaTypeOCIConfig) ||
		len(config) == 0 || len(config) > MaxConfigSize {
		return "", false
	}
	var c ociConfig
	dec := json.NewDecoder(bytes.NewReader(config))
	if err := dec.Decode(&c); err != nil || c.RootFS.Type == "" {
		return "", false
	}
	c.Created = normalTime(c.Created)
	for i := range c.History {
		c.History[i].Created = normalTime(c.History[i].Created)
	}
	canonical, err := json.Marshal(c)
	if err != nil {
		return "", false
	}
	return "config " + string(reference.SHA256.FromBytes(canonical)), true
}

// normalTime writes a timestamp the one way Go marshals a UTC time, so that
// re-encoding it does not make two configurations differ.
func normalTime(s *string) *string {
	if s == nil {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return s
	}
	out := t.UTC().Format(time.RFC3339Nano)
	return &out
}
