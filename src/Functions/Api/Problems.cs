using Microsoft.AspNetCore.Mvc;

namespace Serverless.Functions.Api;

/// <summary>Builds RFC 9457 problem+json results, each with a stable <see cref="ProblemCodes">code</see>.</summary>
public static class Problems
{
    /// <summary>A problem result with the given status, code and human-readable detail.</summary>
    public static IResult Result(int status, string code, string title, string? detail = null, IDictionary<string, string[]>? errors = null)
    {
        var problem = Create(status, code, title, detail, errors);
        return TypedResults.Problem(problem);
    }

    /// <summary>The problem document itself, for writers outside endpoint results.</summary>
    public static ProblemDetails Create(int status, string code, string title, string? detail = null, IDictionary<string, string[]>? errors = null)
    {
        var problem = errors is null ? new ProblemDetails() : new HttpValidationProblemDetails(errors);
        problem.Status = status;
        problem.Title = title;
        problem.Detail = detail;
        problem.Type = $"https://serverless-persistence.dev/problems/{code.Replace('_', '-')}";
        problem.Extensions["code"] = code;
        return problem;
    }

    /// <summary>400 with the failing fields.</summary>
    public static IResult Validation(IDictionary<string, string[]> errors) =>
        Result(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, "The request is invalid.", "See 'errors' for the failing fields.", errors);

    /// <summary>400 for a single failing field.</summary>
    public static IResult Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>404 for a resource that does not exist for this user.</summary>
    public static IResult NotFound(string what) =>
        Result(StatusCodes.Status404NotFound, ProblemCodes.NotFound, "Not found.", $"No {what} with that id exists.");

    /// <summary>The detail of a failed <c>If-Match</c>.</summary>
    public const string IfMatchFailedDetail = "If-Match does not name the current version; read it again and retry.";

    /// <summary>412 for an <c>If-Match</c> that is stale or names no version the app issued.</summary>
    public static IResult PreconditionFailed() =>
        Result(StatusCodes.Status412PreconditionFailed, ProblemCodes.PreconditionFailed, "The resource has changed.", IfMatchFailedDetail);

    /// <summary>412 for <c>If-None-Match: *</c> (create only) on a resource that exists.</summary>
    public static IResult AlreadyExists(string what) =>
        Result(StatusCodes.Status412PreconditionFailed, ProblemCodes.PreconditionFailed, "The resource already exists.",
            $"If-None-Match: * creates only, and this {what} already exists; read it, then write with If-Match.");

    /// <summary>400 for a cursor that was altered or minted for another user or list.</summary>
    public static IResult InvalidCursor() =>
        Result(StatusCodes.Status400BadRequest, ProblemCodes.InvalidCursor, "The cursor is not valid here.", "Use the nextCursor of this same list, unchanged.");

    /// <summary>409 for a create that finds the resource already there.</summary>
    public static IResult Conflict(string detail) =>
        Result(StatusCodes.Status409Conflict, ProblemCodes.Conflict, "Conflict.", detail);
}
