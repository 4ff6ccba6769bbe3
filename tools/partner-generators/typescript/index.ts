// Uses the types openapi-typescript generated into schema.d.ts the way a partner would, so that
// `tsc --strict` checks more than the declarations themselves. run.sh copies this file, with
// tsconfig.json and package.json, next to the generated schema.d.ts and type-checks them together.
// The `@ts-expect-error` lines fail the check when a type the spec defines comes out as `any` or
// `unknown` (an expected error that does not happen is itself an error).
import type { components, paths, webhooks } from "./schema.js";

type Schemas = components["schemas"];
type ErrorBody = Schemas["ErrorBody"];
type CreateUserRequest = paths["/v1/users"]["post"]["requestBody"]["content"]["application/json"];
type CreatedUser = paths["/v1/users"]["post"]["responses"][201]["content"]["application/json"];
type ValidationFailed = paths["/v1/users"]["post"]["responses"][422]["content"]["application/json"];
type ListUsersQuery = NonNullable<paths["/v1/users"]["get"]["parameters"]["query"]>;
type GetUserPath = paths["/v1/users/{userId}"]["get"]["parameters"]["path"];
type UserCreatedEvent = webhooks["user.created"]["post"]["requestBody"]["content"]["application/json"];

export const createIndividual: CreateUserRequest = {
  type: "individual",
  email: "john.doe@example.com",
  phone_number: "+573013185684",
  first_name: "John",
  last_name: "Doe",
  country: "CO",
};

// @ts-expect-error: `type` tells the request bodies apart and must be one of theirs.
export const wrongType: CreateUserRequest = { ...createIndividual, type: "robot" };

export const validationFailed: ValidationFailed = {
  code: "validation_failed",
  message: "The request body has 1 invalid field.",
  details: [],
  request_id: "req_7f3c2a9e41b84d0c",
};

// @ts-expect-error: the error code is a closed set.
export const unknownCode: ErrorBody["code"] = "no_such_code";

export function describeError(body: ErrorBody): string {
  const first = body.details[0];
  return first === undefined ? `${body.code}: ${body.message}` : `${body.code}: ${body.message} (${first.location})`;
}

export function userType(user: CreatedUser): Schemas["UserType"] {
  return user.type;
}

export const page: ListUsersQuery = { limit: 20 };
export const userPath: GetUserPath = { userId: "usr_1" };

export function onUserCreated(event: UserCreatedEvent): string {
  const name: "user.created" = event.event;
  return `${name} ${event.data.event_id}`;
}
