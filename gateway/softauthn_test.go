package gateway_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// softKey is a passkey held by a software authenticator: an ES256 key, a
// discoverable credential with the user handle it was made for, and a
// signature counter. It makes what navigator.credentials.create and .get
// return, as PublicKeyCredential.toJSON() encodes them, with real
// signatures, for API tests that do not run a browser (the browser test
// uses Chromium's virtual authenticator).
type softKey struct {
	t      testing.TB
	id     []byte
	priv   *ecdsa.PrivateKey
	handle []byte
	count  uint32
}

func newSoftKey(t testing.TB) *softKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	return &softKey{t: t, id: id, priv: priv}
}

var b64 = base64.RawURLEncoding

// options is what a begin answers: {publicKey: {challenge, rp?, user?, rpId?}}.
type options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		RPID string `json:"rpId"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		AllowCredentials []any  `json:"allowCredentials"`
		UserVerification string `json:"userVerification"`
		Selection        struct {
			ResidentKey      string `json:"residentKey"`
			UserVerification string `json:"userVerification"`
		} `json:"authenticatorSelection"`
	} `json:"publicKey"`
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

// authData is the authenticator data for rpID with flags (user present
// and verified), the counter and, when attested, the credential.
func (k *softKey) authData(rpID string, attested bool) []byte {
	rpHash := sha256.Sum256([]byte(rpID))
	flags := byte(0x01 | 0x04) // user present, user verified
	if attested {
		flags |= 0x40
	}
	out := append(rpHash[:], flags)
	out = binary.BigEndian.AppendUint32(out, k.count)
	if attested {
		out = append(out, make([]byte, 16)...) // AAGUID
		out = binary.BigEndian.AppendUint16(out, uint16(len(k.id)))
		out = append(out, k.id...)
		x, y := make([]byte, 32), make([]byte, 32)
		k.priv.X.FillBytes(x)
		k.priv.Y.FillBytes(y)
		cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
		if err != nil {
			k.t.Fatal(err)
		}
		out = append(out, cose...)
	}
	return out
}

// create answers creation options as navigator.credentials.create does at
// origin.
func (k *softKey) create(opts options, origin string) map[string]any {
	k.t.Helper()
	handle, err := b64.DecodeString(opts.PublicKey.User.ID)
	if err != nil {
		k.t.Fatalf("user.id %q: %v", opts.PublicKey.User.ID, err)
	}
	k.handle = handle
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": k.authData(opts.PublicKey.RP.ID, true)})
	if err != nil {
		k.t.Fatal(err)
	}
	return map[string]any{
		"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData("webauthn.create", opts.PublicKey.Challenge, origin)),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults":  map[string]any{"credProps": map[string]any{"rk": true}},
		"authenticatorAttachment": "platform",
	}
}

// get answers request options as navigator.credentials.get does at origin,
// counting one more signature (step: how far the counter moves).
func (k *softKey) get(opts options, origin string, step uint32) map[string]any {
	k.t.Helper()
	k.count += step
	data := k.authData(opts.PublicKey.RPID, false)
	cd := clientData("webauthn.get", opts.PublicKey.Challenge, origin)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte(nil), data...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, digest[:])
	if err != nil {
		k.t.Fatal(err)
	}
	return map[string]any{
		"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"authenticatorData": b64.EncodeToString(data),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(k.handle),
		},
		"clientExtensionResults":  map[string]any{},
		"authenticatorAttachment": "platform",
	}
}
