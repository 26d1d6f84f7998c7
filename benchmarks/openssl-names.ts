/**
 * The cipher and digest names `openssl speed` prints in its throughput table,
 * normalized (normalizeAlgorithm): every name and alias of
 * `openssl list -cipher-algorithms -digest-algorithms` (OpenSSL 3.0.19, Debian
 * bookworm), and the names of 1.x's built-in tests (des cbc, idea cbc,
 * hmac(md5), aes-128 ige ...). A run by hand is read without knowing what it
 * asked for: a name outside these is refused, so a garbled one never labels a
 * figure. A newer OpenSSL's new name is refused too, with the name: add it here.
 * Left out: aliases that are another name with a dash more (sha-256 beside
 * sha256), which no `openssl speed` prints and one stray dash would make.
 */
export const opensslSymmetricNames: ReadonlySet<string> = new Set(
  `
aes-128-cbc aes-128-cbc-cts aes-128-cbc-hmac-sha1 aes-128-cbc-hmac-sha256 aes-128-ccm
aes-128-cfb aes-128-cfb1 aes-128-cfb8 aes-128-ctr aes-128-ecb aes-128-gcm aes-128-ige
aes-128-ocb aes-128-ofb aes-128-siv aes-128-wrap aes-128-wrap-inv aes-128-wrap-pad
aes-128-wrap-pad-inv aes-128-xts aes-192-cbc aes-192-cbc-cts aes-192-ccm aes-192-cfb
aes-192-cfb1 aes-192-cfb8 aes-192-ctr aes-192-ecb aes-192-gcm aes-192-ige aes-192-ocb
aes-192-ofb aes-192-siv aes-192-wrap aes-192-wrap-inv aes-192-wrap-pad aes-192-wrap-pad-inv
aes-256-cbc aes-256-cbc-cts aes-256-cbc-hmac-sha1 aes-256-cbc-hmac-sha256 aes-256-ccm
aes-256-cfb aes-256-cfb1 aes-256-cfb8 aes-256-ctr aes-256-ecb aes-256-gcm aes-256-ige
aes-256-ocb aes-256-ofb aes-256-siv aes-256-wrap aes-256-wrap-inv aes-256-wrap-pad
aes-256-wrap-pad-inv aes-256-xts aes128 aes128-wrap aes128-wrap-inv aes128-wrap-pad
aes128-wrap-pad-inv aes192 aes192-wrap aes192-wrap-inv aes192-wrap-pad aes192-wrap-pad-inv
aes256 aes256-wrap aes256-wrap-inv aes256-wrap-pad aes256-wrap-pad-inv aria-128-cbc
aria-128-ccm aria-128-cfb aria-128-cfb1 aria-128-cfb8 aria-128-ctr aria-128-ecb aria-128-gcm
aria-128-ofb aria-192-cbc aria-192-ccm aria-192-cfb aria-192-cfb1 aria-192-cfb8 aria-192-ctr
aria-192-ecb aria-192-gcm aria-192-ofb aria-256-cbc aria-256-ccm aria-256-cfb aria-256-cfb1
aria-256-cfb8 aria-256-ctr aria-256-ecb aria-256-gcm aria-256-ofb aria128 aria192 aria256 bf
bf-cbc bf-cfb bf-ecb bf-ofb blake2b512 blake2s256 blowfish cbc camellia-128-cbc
camellia-128-cbc-cts camellia-128-cfb camellia-128-cfb1 camellia-128-cfb8 camellia-128-ctr
camellia-128-ecb camellia-128-ofb camellia-192-cbc camellia-192-cbc-cts camellia-192-cfb
camellia-192-cfb1 camellia-192-cfb8 camellia-192-ctr camellia-192-ecb camellia-192-ofb
camellia-256-cbc camellia-256-cbc-cts camellia-256-cfb camellia-256-cfb1 camellia-256-cfb8
camellia-256-ctr camellia-256-ecb camellia-256-ofb camellia128 camellia192 camellia256 cast
cast-cbc cast5-cbc cast5-cfb cast5-ecb cast5-ofb chacha20 chacha20-poly1305 des des-cbc des-
cfb des-cfb1 des-cfb8 des-ecb des-ede des-ede-cbc des-ede-cfb des-ede-ecb des-ede-ofb des-
ede3 des-ede3-cbc des-ede3-cfb des-ede3-cfb1 ede3-cfb8 des-ede3-ecb des-ede3-ofb des-ofb
des3 des3-wrap desx desx-cbc ghash hmac(md5) id- aes128-ccm id-aes128-gcm id-aes128-wrap id-
aes128-wrap-pad id-aes192-ccm id-aes192-gcm id- aes192-wrap id-aes192-wrap-pad id-aes256-ccm
id-aes256-gcm id-aes256-wrap id-aes256-wrap-pad id-rsassa-pkcs1-v1_5-with-sha3-224 id-
rsassa-pkcs1-v1_5-with-sha3-256 id-rsassa- pkcs1-v1_5-with-sha3-384 id-rsassa-
pkcs1-v1_5-with-sha3-512 id-smime-alg-cms3deswrap idea idea-cbc keccak-kmac-128 keccak-
kmac-256 keccak-kmac128 keccak-kmac256 md2 md4 md4withrsaencryption md5 md5-sha1
md5withrsaencryption mdc2 null rand rc2 rc2-128 rc2-40 rc2-40-cbc rc2-64 rc2-64-cbc rc2-cbc
rc2-cfb rc2-ecb rc2-ofb rc4 rc4-40 rc4-hmac-md5 rc5-32/12-cbc rc5-cbc ripemd ripemd160
ripemd160withrsa rmd160 rsa-md4 rsa-md5 rsa-ripemd160 rsa-sha1 rsa-sha1-2 rsa-sha224 rsa-
sha256 rsa-sha3-224 rsa-sha3-256 rsa- sha3-384 rsa-sha3-512 rsa-sha384 rsa-sha512 rsa-
sha512/224 rsa-sha512/256 rsa-sm3 seed cbc seed-cfb seed-ecb seed-ofb sha-512/224
sha-512/256 sha1 sha1withrsaencryption sha2-224 sha2-256 sha2-384 sha2-512 sha2-512/224
sha2-512/256 sha224 sha224withrsaencryption sha256 sha256withrsaencryption sha3-224 sha3-256
sha3-384 sha3-512 sha384 sha384withrsaencryption sha512 sha512-224
sha512-224withrsaencryption sha512-256 sha512-256withrsaencryption sha512withrsaencryption
shake128 shake256 sm3 sm3withrsaencryption sm4 sm4-cbc sm4-cfb sm4-cfb128 sm4-ctr sm4-ecb
sm4-ofb sm4-ofb128 ssl3-md5 ssl3-sha1 whirlpool
`
    .split(/\s+/)
    .filter(Boolean),
);

/**
 * The signature tests `openssl speed` has (1.0 to 3.x), as signRow names
 * them: rsa and dsa key sizes, ecdsa curves, EdDSA curves.
 */
export const opensslSignNames: ReadonlySet<string> = new Set([
  ...[512, 1024, 2048, 3072, 4096, 7680, 15360].map((b) => `rsa${b}`),
  ...[512, 1024, 2048].map((b) => `dsa${b}`),
  ...[
    "p160",
    "p192",
    "p224",
    "p256",
    "p384",
    "p521",
    "k163",
    "k233",
    "k283",
    "k409",
    "k571",
    "b163",
    "b233",
    "b283",
    "b409",
    "b571",
    "brp256r1",
    "brp256t1",
    "brp384r1",
    "brp384t1",
    "brp512r1",
    "brp512t1",
  ].map((c) => `ecdsa${c}`),
  "ed25519",
  "ed448",
]);
