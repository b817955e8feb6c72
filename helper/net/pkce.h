/* PKCE S256 (RFC 7636). */
#ifndef CLERK_PKCE_H
#define CLERK_PKCE_H

#define PKCE_VERIFIER_LEN  43 /* base64url of 32 random bytes */
#define PKCE_CHALLENGE_LEN 43 /* base64url of SHA-256 */

/* A fresh verifier: 43 characters from 32 random bytes, NUL-terminated. */
int pkce_new_verifier(char verifier[PKCE_VERIFIER_LEN + 1]);

/* challenge = BASE64URL(SHA256(ASCII(verifier))). */
int pkce_challenge(const char *verifier,
                   char challenge[PKCE_CHALLENGE_LEN + 1]);

#endif
