namespace Inventory.Tests.Support;

/// <summary>Requests as the Lambda Web Adapter forwards them to the service.</summary>
public static class WebAdapter
{
    /// <summary>
    /// A non-HTTP event exactly as the adapter forwards it: POST to the pass-through path, JSON, x-amzn-request-context
    /// set to the JSON literal null and the invocation's x-amzn-lambda-context (it sets both on every request it forwards).
    /// </summary>
    public static HttpRequestMessage PassThrough(string eventJson, string function = "inventory-queue")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = TestService.RawJson(eventJson) };
        request.Headers.TryAddWithoutValidation("x-amzn-request-context", "null");
        request.Headers.TryAddWithoutValidation("x-amzn-lambda-context", $$$"""{"request_id":"{{{Guid.NewGuid()}}}","deadline":1764000000000,"invoked_function_arn":"arn:aws:lambda:eu-west-1:123456789012:function:{{{function}}}","xray_trace_id":null,"client_context":null,"identity":null,"env_config":{"function_name":"{{{function}}}","memory":1024,"version":"$LATEST","log_stream":"","log_group":""}}""");
        return request;
    }
}

/// <summary>
/// The service as it runs on Lambda behind the adapter: Lambda's AWS_LAMBDA_FUNCTION_NAME reaches its configuration
/// (here as an argument, since environment variables are per process and the tests share one).
/// </summary>
public class WebAdapterService : TestService
{
    protected override IEnumerable<string> ExtraArgs => ["--AWS_LAMBDA_FUNCTION_NAME=inventory-test"];
}
