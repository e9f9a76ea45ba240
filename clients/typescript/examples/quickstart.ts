/**
 * The client against a running Keel: node dist/examples/quickstart.js [BASE_URL]
 *
 * Registers a user, logs in, creates two items, lists them a page at a time by cursor,
 * refreshes the token, and reads a validation problem's code and field. Exits non-zero
 * on anything unexpected.
 */
import { createKeelClient, type Problem } from "../src/index.js";

const baseUrl = process.argv[2] ?? "http://127.0.0.1:8000";
const email = `typescript-${Date.now()}@example.com`;
const password = "typescript example passphrase";

let access: string | undefined;
const keel = createKeelClient({ baseUrl, accessToken: () => access });

function check(condition: boolean, what: string): asserts condition {
  console.log(`${condition ? "ok  " : "FAIL"} ${what}`);
  if (!condition) process.exit(1);
}

const registered = await keel.POST("/api/v1/auth/register/", { body: { email, password } });
check(registered.response.status === 201, "register");

const login = await keel.POST("/api/v1/auth/login/", { body: { email, password } });
check(login.data !== undefined, "login returns a token pair");
access = login.data.access;

const created = await keel.POST("/api/v1/items/", { body: { title: "From TypeScript" } });
check(created.data?.title === "From TypeScript", "create an item");

const newer = await keel.POST("/api/v1/items/", { body: { title: "Newer" } });
check(newer.data?.title === "Newer", "create another");

// A page at a time, newest first; count only when asked (it costs a query).
const listed = await keel.GET("/api/v1/items/", {
  params: { query: { page_size: 1, count: true } },
});
check(
  listed.data?.count === 2 && listed.data.results[0]?.id === newer.data.id && !!listed.data.next,
  "list the items: the newest, a count of 2 and a next link",
);
// The next page is where the next link's cursor says; its other parameters are ours.
const cursor = new URL(listed.data.next).searchParams.get("cursor") ?? undefined;
const following = await keel.GET("/api/v1/items/", {
  params: { query: { page_size: 1, cursor } },
});
check(
  following.data?.results[0]?.id === created.data.id &&
    following.data.next === null &&
    following.data.count === null,
  "follow the cursor: the older item, the last page, no count unasked",
);

const refreshed = await keel.POST("/api/v1/auth/token/refresh/", {
  body: { refresh: login.data.refresh },
});
check(refreshed.data !== undefined, "refresh the token");
access = refreshed.data.access;

const invalid = await keel.POST("/api/v1/items/", { body: { title: "" } });
const problem: Problem | undefined = invalid.error;
check(
  invalid.response.status === 400 &&
    problem?.code === "validation_error" &&
    problem.errors[0]?.attr === "title",
  `a blank title is a typed problem: ${problem?.code} on ${problem?.errors[0]?.attr}`,
);
