// The README's five lines, type-checked with the rest (never run).
import { createKeelClient, type Problem } from "../src/index.js";
const token = "an access token";
const keel = createKeelClient({ baseUrl: "https://api.example.com", accessToken: () => token });
const { data, error } = await keel.POST("/api/v1/items/", { body: { title: "Typed" } });
if (error) console.warn((error satisfies Problem).code, error.errors); // "validation_error", per field
else console.log(data.id, data.title); // an Item
