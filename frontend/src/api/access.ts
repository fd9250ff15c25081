// Who may do what: signing in and out, the first admin, users, API keys and the audit
// log. Errors as in client.ts; a 401 from these is reported like any other, and the
// session store knows that a wrong password is not the end of a session.

import { call, client } from "./http";
import type {
  ApiKeyCreate,
  ApiKeyCreated,
  ApiKeyPage,
  AuditPage,
  Me,
  User,
  UserCreate,
  UserPage,
  UserUpdate,
} from "./types";

// ----- signing in ------------------------------------------------------------------------

export async function getMe(): Promise<Me> {
  const { data } = await call(() => client.GET("/api/v1/auth/me"));
  return data;
}

export async function login(username: string, password: string): Promise<User> {
  const { data } = await call(() => client.POST("/api/v1/auth/login", { body: { username, password } }));
  return data;
}

export async function logout(): Promise<void> {
  await call(() => client.POST("/api/v1/auth/logout"));
}

/** The first admin, with the token of the setup link; signs them in. */
export async function completeSetup(token: string, username: string, password: string): Promise<User> {
  const { data } = await call(() => client.POST("/api/v1/auth/setup", { body: { token, username, password } }));
  return data;
}

// ----- users -----------------------------------------------------------------------------

export async function listUsers(): Promise<UserPage> {
  const { data } = await call(() => client.GET("/api/v1/users", { params: { query: { limit: 500 } } }));
  return data;
}

export async function createUser(user: UserCreate): Promise<User> {
  const { data } = await call(() => client.POST("/api/v1/users", { body: user }));
  return data;
}

export async function updateUser(id: string, changes: UserUpdate): Promise<User> {
  const { data } = await call(() =>
    client.PATCH("/api/v1/users/{user_id}", { params: { path: { user_id: id } }, body: changes }),
  );
  return data;
}

export async function deleteUser(id: string): Promise<void> {
  await call(() => client.DELETE("/api/v1/users/{user_id}", { params: { path: { user_id: id } } }));
}

// ----- API keys --------------------------------------------------------------------------

export async function listApiKeys(): Promise<ApiKeyPage> {
  const { data } = await call(() => client.GET("/api/v1/api-keys", { params: { query: { limit: 500 } } }));
  return data;
}

/** A new key; the answer's `secret` is the only time anyone sees it. */
export async function createApiKey(key: ApiKeyCreate): Promise<ApiKeyCreated> {
  const { data } = await call(() => client.POST("/api/v1/api-keys", { body: key }));
  return data;
}

export async function revokeApiKey(id: string): Promise<void> {
  await call(() => client.DELETE("/api/v1/api-keys/{key_id}", { params: { path: { key_id: id } } }));
}

// ----- audit -----------------------------------------------------------------------------

export async function listAuditEvents(query: {
  limit: number;
  offset: number;
  actor?: string;
  action?: string;
}): Promise<AuditPage> {
  const { data } = await call(() =>
    client.GET("/api/v1/audit", {
      params: {
        query: {
          limit: query.limit,
          offset: query.offset,
          ...(query.actor ? { actor: query.actor } : {}),
          ...(query.action ? { action: query.action } : {}),
        },
      },
    }),
  );
  return data;
}
