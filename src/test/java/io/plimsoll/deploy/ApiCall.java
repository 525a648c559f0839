package io.plimsoll.deploy;

import java.net.URI;
import java.util.List;

/** An API request as RBAC sees it: verb, API group, resource (with subresource), namespace. */
record ApiCall(String verb, String group, String resource, String namespace) {

    /** Parses a request line's method and path, e.g. GET /api/v1/namespaces/a/pods?watch=true -> watch "" pods. */
    static ApiCall of(String method, String pathAndQuery) {
        URI uri = URI.create(pathAndQuery);
        String query = uri.getRawQuery() == null ? "" : uri.getRawQuery();
        List<String> p = List.of(uri.getPath().replaceAll("^/+", "").split("/"));
        String group;
        int i;
        if (p.get(0).equals("api")) {
            group = "";
            i = 2;
        } else {
            group = p.get(1);
            i = 3;
        }
        String namespace = null;
        if (p.size() > i + 1 && p.get(i).equals("namespaces") && p.size() > i + 2) {
            namespace = p.get(i + 1);
            i += 2;
        }
        String resource = p.get(i);
        boolean named = p.size() > i + 1;
        if (p.size() > i + 2) resource += "/" + p.get(i + 2);
        String verb = switch (method) {
            case "GET" -> query.contains("watch=true") ? "watch" : named ? "get" : "list";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> named ? "delete" : "deletecollection";
            default -> method.toLowerCase();
        };
        return new ApiCall(verb, group, resource, namespace);
    }
}
