using Serverless.Functions.Secrets;
using Serverless.Storage.Portability;
using Serverless.Storage.Users;

namespace Serverless.Functions.Portability;

/// <summary>
/// Keeps a job's secrets passphrase while the job runs: encrypted with the app's keyring (<see cref="SecretProtector"/>)
/// bound to the user and the job, in the job row (<see cref="PortabilityJob.PassphraseCipher"/>), which drops it when the
/// job is saved finished. The passphrase is never stored in clear, and a cipher copied to another job does not open.
/// </summary>
public sealed class PortabilityPassphrases(SecretProtector protector)
{
    /// <summary>The header an import takes the passphrase in.</summary>
    public const string Header = "Secrets-Passphrase";

    /// <summary>The cipher of <paramref name="passphrase"/> for job <paramref name="jobId"/>.</summary>
    public string Protect(UserPartition user, string jobId, string passphrase)
    {
        ArgumentNullException.ThrowIfNull(passphrase);
        return protector.Protect(System.Text.Encoding.UTF8.GetBytes(passphrase), Aad(user, jobId));
    }

    /// <summary>The job's passphrase, or null when it was given none (or it no longer decrypts: its key was removed).</summary>
    public string? Reveal(UserPartition user, PortabilityJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.PassphraseCipher is { } cipher && protector.CanUnprotect(cipher, Aad(user, job.Id))
            ? System.Text.Encoding.UTF8.GetString(protector.Unprotect(cipher, Aad(user, job.Id)))
            : null;
    }

    private static string Aad(UserPartition user, string jobId) => $"portability-passphrase|{user.Key}|{jobId}";
}
