package clients

// Confluent's Go client with basic auth (`NewConfigWithBasicAuthentication`) over HTTPS
// (`SslCaLocation`) against a secured `lockstep registry` this test starts itself: a CA and a
// server certificate made at test time, a users file in Confluent's JAAS format and rules where
// one user writes `orders-*` and everyone reads.

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
)

const securityRules = `
[[rule]]
groups = ["team-a"]
operations = ["read", "write"]
resources = ["subject:orders-*"]

[[rule]]
principals = ["*"]
operations = ["read"]
resources = ["subject:*"]
`

// writePEM writes one PEM block to dir/name.
func writePEM(t *testing.T, dir, name, kind string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// testPKI makes a CA and a server certificate for 127.0.0.1: (CA file, cert file, key file).
func testPKI(t *testing.T, dir string) (string, string, string) {
	t.Helper()
	caKey := ok(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))(t)
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "go-test-ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER := ok(x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey))(t)
	caCert := ok(x509.ParseCertificate(caDER))(t)
	key := ok(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))(t)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	leafDER := ok(x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey))(t)
	keyDER := ok(x509.MarshalPKCS8PrivateKey(key))(t)
	return writePEM(t, dir, "ca.pem", "CERTIFICATE", caDER),
		writePEM(t, dir, "server.pem", "CERTIFICATE", leafDER),
		writePEM(t, dir, "server.key", "PRIVATE KEY", keyDER)
}

// startSecuredRegistry runs `lockstep registry` with HTTPS, basic auth and rules; its URL and CA file.
func startSecuredRegistry(t *testing.T) (string, string) {
	t.Helper()
	bin := os.Getenv("LOCKSTEP_BIN")
	if bin == "" {
		bin = filepath.Join("..", "..", "..", "target", "debug", "lockstep")
	}
	dir := t.TempDir()
	caFile, certFile, keyFile := testPKI(t, dir)
	// JAAS PropertyFileLoginModule format; MD5 needs the migration flag (the password check
	// itself is covered by the Rust tests).
	users := fmt.Sprintf("alice: MD5:%x,team-a\nbob: MD5:%x\n", md5.Sum([]byte("alice-pw")), md5.Sum([]byte("bob-pw")))
	usersFile := filepath.Join(dir, "users.properties")
	rulesFile := filepath.Join(dir, "rules.toml")
	if err := os.WriteFile(usersFile, []byte(users), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rulesFile, []byte(securityRules), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "registry", "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"),
		"--tls-cert", certFile, "--tls-key", keyFile,
		"--auth-basic-users-file", usersFile, "--auth-basic-allow-insecure-passwords",
		"--authz-rules-file", rulesFile)
	cmd.Env = append(os.Environ(), "LOCKSTEP_LOG_FORMAT=json")
	stderr := ok(cmd.StderrPipe())(t)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct {
				Fields struct {
					Message string `json:"message"`
					Addr    string `json:"addr"`
				} `json:"fields"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Fields.Message == "lockstep registry serving" {
				addr <- line.Fields.Addr
			}
		}
	}()
	select {
	case a := <-addr:
		return "https://" + a, caFile
	case <-time.After(60 * time.Second):
		t.Fatal("the secured registry did not report its address")
	}
	return "", ""
}

func securedClient(t *testing.T, url, ca, user, password string) schemaregistry.Client {
	t.Helper()
	conf := schemaregistry.NewConfigWithBasicAuthentication(url, user, password)
	conf.SslCaLocation = ca
	c := ok(schemaregistry.NewClient(conf))(t)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestBasicAuthOverHTTPS(t *testing.T) {
	url, ca := startSecuredRegistry(t)
	subject := unique("orders-go") + "-value"
	alice := securedClient(t, url, ca, "alice", "alice-pw")
	id := ok(alice.Register(subject, schemaregistry.SchemaInfo{Schema: userV1}, false))(t)
	if got := ok(alice.GetLatestSchemaMetadata(subject))(t); got.ID != id {
		t.Fatalf("latest id %d, registered %d", got.ID, id)
	}

	// bob reads but may not write.
	bob := securedClient(t, url, ca, "bob", "bob-pw")
	subjects := ok(bob.GetAllSubjects())(t)
	if !strings.Contains(strings.Join(subjects, ","), subject) {
		t.Fatalf("bob does not see %s: %v", subject, subjects)
	}
	if _, err := bob.Register(subject, schemaregistry.SchemaInfo{Schema: userV1}, false); restCode(err) != 40301 {
		t.Fatalf("bob registered (or another error): %v", err)
	}
	// A wrong password and no credentials: 401.
	if _, err := securedClient(t, url, ca, "alice", "nope").GetAllSubjects(); restCode(err) != 401 {
		t.Fatalf("wrong password: %v", err)
	}
	conf := schemaregistry.NewConfig(url)
	conf.SslCaLocation = ca
	anon := ok(schemaregistry.NewClient(conf))(t)
	defer anon.Close()
	if _, err := anon.GetAllSubjects(); restCode(err) != 401 {
		t.Fatalf("no credentials: %v", err)
	}
}
