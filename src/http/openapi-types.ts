/**
 * The part of OpenAPI 3.1 the gateway's document uses, typed narrowly on purpose: the test's
 * schema checker knows exactly these keywords, so the document cannot outgrow what is checked.
 */

type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';
type JsonValue = string | number | boolean | null;

/** The part of JSON Schema 2020-12 this document uses (OpenAPI 3.1 schemas are JSON Schema). */
export interface SchemaObject {
  $ref?: string;
  type?: JsonType | JsonType[];
  description?: string;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  additionalProperties?: boolean | SchemaObject;
  items?: SchemaObject;
  allOf?: SchemaObject[];
  oneOf?: SchemaObject[];
  const?: JsonValue;
  enum?: JsonValue[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
}
export interface Reference {
  $ref: string;
}
export interface HeaderObject {
  description?: string;
  required?: boolean;
  schema: SchemaObject;
}
export interface MediaTypeObject {
  schema: SchemaObject;
}
export interface ResponseObject {
  description: string;
  headers?: Record<string, HeaderObject | Reference>;
  content?: Record<string, MediaTypeObject>;
}
export interface ParameterObject {
  name: string;
  in: 'query' | 'header' | 'cookie' | 'path';
  description?: string;
  required?: boolean;
  schema: SchemaObject;
}
export interface RequestBodyObject {
  description?: string;
  required: boolean;
  content: Record<string, MediaTypeObject>;
}
export interface OperationObject {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** `[]`: public. `[{}, {sessionCookie: []}]`: the cookie is optional. */
  security: Array<Record<string, string[]>>;
  parameters?: Array<ParameterObject | Reference>;
  requestBody?: RequestBodyObject;
  responses: Record<string, ResponseObject | Reference>;
}
export type HttpMethod = 'get' | 'post' | 'options';
export type PathItemObject = Partial<Record<HttpMethod, OperationObject>>;

/** A credential sent in a cookie (the session). */
export interface CookieSecurityScheme {
  type: 'apiKey';
  in: 'cookie';
  name: string;
  description: string;
}
/** A credential sent as `Authorization: Bearer …` (metrics). */
export interface BearerSecurityScheme {
  type: 'http';
  scheme: 'bearer';
  description: string;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; summary: string; description: string; license: { name: string; identifier: string } };
  servers?: Array<{ url: string; description: string }>;
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, PathItemObject>;
  components: {
    schemas: Record<string, SchemaObject>;
    responses: Record<string, ResponseObject>;
    parameters: Record<string, ParameterObject>;
    headers: Record<string, HeaderObject>;
    securitySchemes: { sessionCookie: CookieSecurityScheme; metricsToken: BearerSecurityScheme };
  };
}
