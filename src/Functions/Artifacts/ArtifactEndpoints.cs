using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Microsoft.Extensions.Options;
using Serverless.Functions.Api;
using Serverless.Functions.Api.OpenApi;
using Serverless.Functions.Identity;
using Serverless.Storage;
using Serverless.Storage.Artifacts;
using Serverless.Storage.Payloads;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Serverless.Functions.Artifacts;

/// <summary>
/// Artifacts: <c>POST /api/v1/artifacts</c> (upload the raw body, metadata in headers, <see cref="ArtifactUpload"/>),
/// <c>GET /api/v1/artifacts</c> (newest first, by kind and parent), <c>GET/PATCH/DELETE /api/v1/artifacts/{id}</c>
/// (metadata), and the content at <c>…/{id}/content</c> (<see cref="ArtifactContentEndpoint"/>). Every route reads and
/// writes only the caller's partition, so another user's artifact is 404 whatever the verb.
/// </summary>
public static class ArtifactEndpoints
{
    /// <summary>The artifacts, relative to the <c>api</c> route prefix (as the functions' routes are).</summary>
    public const string ArtifactsRoute = "v1/artifacts";

    /// <summary>One artifact's metadata.</summary>
    public const string ArtifactRoute = "v1/artifacts/{id}";

    /// <summary>The idempotency operation name of uploads.</summary>
    public const string UploadOperation = "artifacts.upload";

    private const int HashChunkBytes = 64 * 1024;

    /// <summary>Maps the artifact operations onto the local server's <c>/api</c> group, named as their functions.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var artifacts = api.MapGroup(string.Empty).WithTags("Artifacts");
        artifacts.MapPost(ArtifactsRoute, UploadArtifact).WithName(nameof(ArtifactFunctions.UploadArtifact))
            .WithSummary("Uploads an artifact: the body is the content (any type, streamed), the metadata is in Artifact-* headers (Idempotency-Key honoured).")
            .AddOpenApiOperationTransformer(ArtifactOpenApi.DescribeUpload)
            .Answers<ArtifactView>(StatusCodes.Status201Created).WithApiHeaders(ApiHeaders.ETag | ApiHeaders.Location | ApiHeaders.IdempotencyKey)
            .ProducesProblems(400, 409, 413, 415, 422);
        artifacts.MapGet(ArtifactsRoute, ListArtifacts).WithName(nameof(ArtifactFunctions.ListArtifacts)).WithSummary("Lists the user's artifacts newest first, all or by kind and parent.")
            .Answers<ListPage<ArtifactView>>().WithListQuery(ListOrder.DescendingOnly, KindFilter, ParentFilter).ProducesProblems(400);
        artifacts.MapGet(ArtifactRoute, GetArtifact).WithName(nameof(ArtifactFunctions.GetArtifact)).WithSummary("Reads an artifact's metadata.")
            .Answers<ArtifactView>().WithApiHeaders(ApiHeaders.ETag).ProducesProblems(404);
        artifacts.MapPatch(ArtifactRoute, PatchArtifact).WithName(nameof(ArtifactFunctions.PatchArtifact))
            .WithSummary("Changes an artifact's name, star or expiry (If-Match honoured); starring removes the expiry, unstarring restores the kind's default.")
            .Reads<ArtifactPatch>().Answers<ArtifactView>().WithApiHeaders(ApiHeaders.ETag | ApiHeaders.IfMatch).ProducesProblems(400, 404, 412);
        artifacts.MapDelete(ArtifactRoute, DeleteArtifact).WithName(nameof(ArtifactFunctions.DeleteArtifact)).WithSummary("Deletes an artifact, rows first, then its content (If-Match honoured).")
            .AnswersNoContent().WithApiHeaders(ApiHeaders.IfMatch).ProducesProblems(400, 404, 412);
        ArtifactContentEndpoint.Map(artifacts);
    }

    /// <summary><c>kind</c> of the artifact list.</summary>
    private static ListFilter KindFilter { get; } = new("kind", "Only artifacts of this kind (e.g. snapshot).", []);

    /// <summary><c>parent</c> of the artifact list.</summary>
    private static ListFilter ParentFilter { get; } = new("parent", "Only artifacts of this parent (e.g. thread:t1); with kind, of both.", []);

    /// <summary>
    /// POST an artifact. Quota is reserved first (the declared length, or for a chunked body what the quota allows up to the
    /// largest upload), the body is streamed into a fresh blob, and the rows commit with the reservation's release; a
    /// failure on the way gives the reservation back and leaves no row (at most a blob for the orphan sweep).
    /// </summary>
    public static async Task<IResult> UploadArtifact(HttpRequest request, HttpResponse response, CurrentUser user, ArtifactStore store, IdempotencyKeys keys,
        IOptions<ArtifactOptions> options, TimeProvider time, IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var upload = ArtifactUpload.Read(request, now, out var errors);
        if (upload is null)
        {
            return Problems.Validation(errors);
        }

        if (request.Headers.ContentEncoding.ToString() is { Length: > 0 } encoding && !encoding.Trim().Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return Problems.Result(StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType, "Send the content as it is.",
                "Content-Encoding is not accepted on uploads: the content is stored compressed when its type benefits.");
        }

        if (request.ContentLength > settings.MaxUploadBytes)
        {
            return TooLarge(settings.MaxUploadBytes);
        }

        var (keyProblem, known) = await keys.PeekAsync(request, UploadOperation, cancellationToken);
        if (keyProblem is not null)
        {
            return keyProblem;
        }

        var serializer = json.Value.SerializerOptions;
        if (known)
        {
            return await AnswerKnownKeyAsync(request, upload, keys, settings.MaxUploadBytes, serializer, cancellationToken);
        }

        QuotaReservation reservation;
        try
        {
            reservation = await store.ReserveAsync(user.Partition, request.ContentLength, settings.MaxUploadBytes, settings.MaxBytesPerUser, settings.MaxUploadsInFlight, settings.ReservationLifetime, cancellationToken);
        }
        catch (ArtifactQuotaExceededException e)
        {
            return QuotaExceeded(e);
        }
        catch (ArtifactUploadsBusyException e)
        {
            return Problems.Conflict(e.Message);
        }

        PayloadReference? content = null;
        var committed = false;
        try
        {
            var id = ArtifactStore.NewId(now);
            var body = new UploadBodyStream(request.Body, reservation.Bytes, limitIsQuota: reservation.Bytes < settings.MaxUploadBytes && request.ContentLength is null);
            content = await store.WriteContentAsync(user.Partition, id, body, upload.ContentType, cancellationToken);
            var artifact = new ArtifactRecord(id, upload.Kind, upload.Name, upload.Parent, upload.Starred, ExpiryOf(upload, now, settings), now, now, content);
            var location = $"/api/v1/artifacts/{id}";

            IdempotentWrite? write = null;
            if (request.Headers.ContainsKey(IdempotencyKeys.Header))
            {
                // Decided only now that the body's hash is known; a request with the same key that finished meanwhile wins.
                var begun = await keys.BeginAsync(request, UploadOperation, Canonical(upload, content.RawBytes, content.Sha256, serializer), cancellationToken);
                if (begun.Answer is { } answer)
                {
                    return answer;
                }

                write = begun.Write;
            }

            var record = write?.Record(StatusCodes.Status201Created, JsonSerializer.Serialize(ArtifactView.From(artifact), serializer), location);
            try
            {
                artifact = await store.CommitAsync(user.Partition, artifact, reservation, settings.MaxBytesPerUser, record, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status == 409 && e.FailedActionIndex() == ArtifactStore.ExtraActionIndex && write is not null)
            {
                return await keys.AnswerAfterRaceAsync(write, cancellationToken);
            }
            catch (ArtifactQuotaExceededException e)
            {
                return QuotaExceeded(e);
            }

            committed = true;
            ETagHeaders.Set(response, artifact.ETag);
            return TypedResults.Created(location, ArtifactView.From(artifact));
        }
        finally
        {
            if (!committed)
            {
                // Nothing refers to the blob (if it was written at all), and the quota it held goes back.
                if (content is not null)
                {
                    await store.DiscardContentAsync(content);
                }

                await store.ReleaseAsync(user.Partition, reservation, CancellationToken.None);
            }
        }
    }

    /// <summary>GET the user's artifacts, newest first: <c>kind</c> and <c>parent</c> filter.</summary>
    public static async Task<IResult> ListArtifacts(HttpRequest request, CurrentUser user, ArtifactStore store, CursorProtector cursors, CancellationToken cancellationToken)
    {
        if (!ListQuery.TryParse(request, defaultDescending: true, out var query, out var problem))
        {
            return problem!;
        }

        var errors = new Dictionary<string, string[]>();
        if (!query.Descending)
        {
            errors["order"] = ["Artifacts are listed newest first only: use order=desc or leave it out."];
        }

        var kind = request.Query["kind"].ToString() is { Length: > 0 } k ? k : null;
        if (kind is not null && !ArtifactUpload.IsKind(kind))
        {
            errors["kind"] = ["kind must be 1 to 32 of a-z 0-9 . _ - starting with a letter."];
        }

        var parent = request.Query["parent"].ToString() is { Length: > 0 } p ? p : null;
        if (parent is not null && !ArtifactUpload.IsParent(parent))
        {
            errors["parent"] = ["parent must be 1 to 128 of A-Z a-z 0-9 . _ : - starting with a letter or digit."];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var scope = $"artifacts:{kind}:{parent}";
        string? after = null;
        if (query.Cursor is not null && !cursors.TryUnprotect(user.UserId, scope, query.Cursor, out after))
        {
            return Problems.InvalidCursor();
        }

        var (items, next) = await store.ListAsync(user.Partition, kind, parent, query.Limit, after, cancellationToken);
        return TypedResults.Ok(new ListPage<ArtifactView>(items.Select(ArtifactView.From).ToList(), cursors.Protect(user.UserId, scope, next)));
    }

    /// <summary>GET one artifact's metadata.</summary>
    public static async Task<IResult> GetArtifact(string id, HttpResponse response, CurrentUser user, ArtifactStore store, CancellationToken cancellationToken)
    {
        var artifact = ArtifactStore.IsId(id) ? await store.GetAsync(user.Partition, id, cancellationToken) : null;
        if (artifact is null)
        {
            return Problems.NotFound("artifact");
        }

        ETagHeaders.Set(response, artifact.ETag);
        return TypedResults.Ok(ArtifactView.From(artifact));
    }

    /// <summary>
    /// PATCH an artifact's name, star or expiry. Starring removes the expiry; unstarring restores the kind's default
    /// (a snapshot's: <see cref="ArtifactOptions.SnapshotRetention"/> after its upload, which may already have passed);
    /// setting an expiry unstars (a starred artifact never expires); <c>expiresAt: null</c> keeps it forever.
    /// </summary>
    public static async Task<IResult> PatchArtifact(string id, ArtifactPatch patch, HttpRequest request, HttpResponse response, CurrentUser user, ArtifactStore store,
        IOptions<ArtifactOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (patch.Name is not null && !ArtifactUpload.IsName(patch.Name))
        {
            errors["name"] = [$"name must be 1 to {ArtifactUpload.MaxNameChars} characters, no control characters."];
        }

        var setsExpiry = patch.ExpiresAt.ValueKind != JsonValueKind.Undefined;
        DateTimeOffset? expiresAt = null;
        if (patch.ExpiresAt.ValueKind == JsonValueKind.String)
        {
            expiresAt = patch.ExpiresAt.TryGetDateTimeOffset(out var at) ? at.ToUniversalTime() : null;
            if (ArtifactUpload.ExpiryError(expiresAt, patch.Starred == true, time.GetUtcNow()) is { } error)
            {
                errors["expiresAt"] = ["expiresAt " + error];
            }
        }
        else if (setsExpiry && patch.ExpiresAt.ValueKind != JsonValueKind.Null)
        {
            errors["expiresAt"] = ["expiresAt must be an ISO 8601 date and time, or null for never."];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        if (!ETagHeaders.TryGetIfMatch(request, out var ifMatch, out var problem))
        {
            return problem!;
        }

        if (!ArtifactStore.IsId(id))
        {
            return Problems.NotFound("artifact");
        }

        var settings = options.Value;
        ArtifactRecord? updated;
        try
        {
            updated = await store.UpdateAsync(user.Partition, id, ifMatch, (artifact, _) =>
            {
                var (starred, expires) = (artifact.Starred, artifact.ExpiresAt);
                if (patch.Starred == true)
                {
                    (starred, expires) = (true, null);
                }
                else if (patch.Starred == false && artifact.Starred)
                {
                    (starred, expires) = (false, DefaultExpiry(artifact.Kind, artifact.CreatedAt, settings));
                }

                if (setsExpiry)
                {
                    (starred, expires) = (expiresAt is null && starred, expiresAt);
                }

                return artifact with { Name = patch.Name ?? artifact.Name, Starred = starred, ExpiresAt = expires };
            }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return Problems.PreconditionFailed();
        }

        if (updated is null)
        {
            return Problems.NotFound("artifact");
        }

        ETagHeaders.Set(response, updated.ETag);
        return TypedResults.Ok(ArtifactView.From(updated));
    }

    /// <summary>DELETE an artifact: its rows, then its content.</summary>
    public static async Task<IResult> DeleteArtifact(string id, HttpRequest request, CurrentUser user, ArtifactStore store, CancellationToken cancellationToken)
    {
        if (!ETagHeaders.TryGetIfMatch(request, out var ifMatch, out var problem))
        {
            return problem!;
        }

        try
        {
            return ArtifactStore.IsId(id) && await store.DeleteAsync(user.Partition, id, ifMatch, cancellationToken) is not null
                ? TypedResults.NoContent()
                : Problems.NotFound("artifact");
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return Problems.PreconditionFailed();
        }
    }

    /// <summary>The expiry an upload gets: none when starred, else the one asked for, else the kind's default.</summary>
    private static DateTimeOffset? ExpiryOf(ArtifactUpload upload, DateTimeOffset now, ArtifactOptions settings) =>
        upload.Starred ? null : upload.ExpiresAt ?? DefaultExpiry(upload.Kind, now, settings);

    /// <summary>A kind's default expiry for an artifact uploaded at <paramref name="createdAt"/>: snapshots expire, other kinds do not.</summary>
    public static DateTimeOffset? DefaultExpiry(string kind, DateTimeOffset createdAt, ArtifactOptions settings) =>
        kind == ArtifactUpload.SnapshotKind ? createdAt + settings.SnapshotRetention : null;

    /// <summary>
    /// A request whose Idempotency-Key is already recorded: the body is read through a hash only (nothing stored, no quota
    /// taken), and the recorded answer is replayed when it is the same upload, or 422 when it is not.
    /// </summary>
    private static async Task<IResult> AnswerKnownKeyAsync(HttpRequest request, ArtifactUpload upload, IdempotencyKeys keys, long maxBytes, JsonSerializerOptions serializer, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var body = new UploadBodyStream(request.Body, maxBytes, limitIsQuota: false);
        var buffer = ArrayPool<byte>.Shared.Rent(HashChunkBytes);
        long length = 0;
        try
        {
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                length += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var begun = await keys.BeginAsync(request, UploadOperation, Canonical(upload, length, Convert.ToHexStringLower(hash.GetHashAndReset()), serializer), cancellationToken);
        return begun.Answer ?? Problems.Conflict("The Idempotency-Key's record expired while the body was read; send the request again.");
    }

    /// <summary>What identifies an upload for its Idempotency-Key: the metadata and the content's length and hash.</summary>
    private static byte[] Canonical(ArtifactUpload upload, long bytes, string sha256, JsonSerializerOptions serializer) =>
        JsonSerializer.SerializeToUtf8Bytes(new { upload, bytes, sha256 }, serializer);

    private static IResult TooLarge(long maxBytes) =>
        Problems.Result(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "The request body is too large.", $"An artifact holds at most {maxBytes} bytes.");

    private static IResult QuotaExceeded(ArtifactQuotaExceededException e) =>
        Problems.Result(StatusCodes.Status413PayloadTooLarge, ProblemCodes.QuotaExceeded, "The artifact quota is exceeded.",
            $"{e.UsedBytes} of the {e.LimitBytes} bytes of your artifact quota are stored or reserved by uploads in flight; this upload needs {e.RequestedBytes}. Delete artifacts, or wait for uploads to finish.");
}
